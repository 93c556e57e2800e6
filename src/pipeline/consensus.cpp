#include "consensus.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <string>
#include <string_view>

#include "facemirror/error.h"
#include "facemirror/output/atomic_file.h"

#include "core/partial_path.h"
#include "executors.h"

namespace facemirror::detail {
namespace {

// The cells of one line as written, surrounding spaces included: the merge repeats them verbatim.
std::vector<std::string_view> cells_of(std::string_view line) {
  std::vector<std::string_view> cells;
  size_t from = 0;
  for (;;) {
    const size_t comma = line.find(',', from);
    cells.push_back(line.substr(from, comma == std::string_view::npos ? comma : comma - from));
    if (comma == std::string_view::npos)
      return cells;
    from = comma + 1;
  }
}

std::string_view trimmed(std::string_view cell) {
  const size_t first = cell.find_first_not_of(' ');
  if (first == std::string_view::npos)
    return {};
  return cell.substr(first, cell.find_last_not_of(' ') - first + 1);
}

[[noreturn]] void malformed(const std::filesystem::path& draw, int64_t line,
                            const std::string& why) {
  throw error(error_code::internal,
              "'" + draw.string() + "': line " + std::to_string(line) + ": " + why);
}

double number_in(std::string_view cell, const std::filesystem::path& draw, int64_t line) {
  const std::string text(trimmed(cell));
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size())
    malformed(draw, line, "cell '" + text + "' is not a number");
  return value;
}

}  // namespace

int consensus_offset_ulps(int draw) {
  return draw % 2 == 1 ? (draw + 1) / 2 : -(draw / 2);
}

merged_csv write_median_csv(const std::vector<std::filesystem::path>& draws,
                            const std::filesystem::path& target) {
  FACEMIRROR_CHECK(draws.size() % 2 == 1, "write_median_csv: needs an odd number of draws");
  const size_t n = draws.size();
  std::vector<std::ifstream> in;
  in.reserve(n);
  for (const auto& draw : draws) {
    in.emplace_back(draw, std::ios::binary);
    if (!in.back())
      throw error(error_code::io, "'" + draw.string() + "': cannot be read");
  }
  atomic_file out(target);
  std::vector<std::string> lines(n);
  std::vector<std::vector<std::string_view>> cells(n);
  std::vector<size_t> order(n);
  std::string merged;
  merged_csv counts;
  size_t success_column = std::string_view::npos;
  for (int64_t line = 1;; ++line) {
    size_t read = 0;
    for (size_t d = 0; d < n; ++d)
      read += static_cast<bool>(std::getline(in[d], lines[d]));
    if (read == 0)
      break;
    for (size_t d = 0; d < n; ++d) {
      if (in[d].bad())
        throw error(error_code::io, "'" + draws[d].string() + "': cannot be read");
      if (read != n && !in[d])
        malformed(draws[d], line, "ends before the other draws");
      cells[d] = cells_of(lines[d]);
      if (cells[d].size() != cells[0].size())
        malformed(draws[d], line, "has another number of cells than '" + draws[0].string() + "'");
    }
    merged.clear();
    if (line == 1) {  // the header: the same in every draw
      for (size_t d = 1; d < n; ++d)
        if (lines[d] != lines[0])
          malformed(draws[d], line, "has other columns than '" + draws[0].string() + "'");
      for (size_t c = 0; c < cells[0].size(); ++c)
        if (trimmed(cells[0][c]) == "success")
          success_column = c;
      merged = lines[0];
    } else {
      for (size_t d = 1; d < n; ++d)
        if (trimmed(cells[d][0]) != trimmed(cells[0][0]))
          malformed(draws[d], line, "holds another frame than '" + draws[0].string() + "'");
      std::vector<double> values(n);
      for (size_t c = 0; c < cells[0].size(); ++c) {
        for (size_t d = 0; d < n; ++d)
          values[d] = number_in(cells[d][c], draws[d], line);
        std::iota(order.begin(), order.end(), size_t{0});
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t a, size_t b) { return values[a] < values[b]; });
        const size_t median = order[n / 2];
        if (c > 0)
          merged += ',';
        merged += cells[median][c];
        if (c == success_column)
          counts.successful += values[median] == 1.0;
      }
      ++counts.rows;
    }
    merged += '\n';
    out.write(merged);
  }
  out.commit();
  return counts;
}

consensus_run::consensus_run(const std::vector<video_job>& videos,
                             const std::vector<size_t>& job_index, const engine_options& options,
                             const analysis_models& models,
                             std::function<void(const progress_event&)> sink)
    : options_(options), sink_(std::move(sink)), draws_(options.consensus_tracks) {
  for (size_t k = 0; k < videos.size(); ++k) {
    if (videos[k].kind == job_kind::aus) {
      consensus_.push_back(k);
      consensus_jobs_.push_back(job_index[k]);
      targets_.push_back(videos[k].output_csv);
    }
  }
  options_by_draw_.reserve(static_cast<size_t>(draws_));  // the batches keep references
  for (int d = 0; d < draws_; ++d) {
    std::vector<video_job> jobs;
    std::vector<size_t>& index = index_.emplace_back();
    std::vector<std::filesystem::path>& paths = paths_.emplace_back();
    for (size_t k = 0; k < videos.size(); ++k) {
      const bool tracked_by_draws = videos[k].kind == job_kind::aus;
      if (d > 0 && !tracked_by_draws)
        continue;
      video_job job = videos[k];
      if (tracked_by_draws) {
        job.output_csv = partial_path(videos[k].output_csv);
        paths.push_back(job.output_csv);
      }
      jobs.push_back(std::move(job));
      index.push_back(job_index[k]);
    }
    engine_options draw_options = options;
    draw_options.tracked_start_offset_ulps = consensus_offset_ulps(d);
    draw_options.on_progress = progress_of(d);
    draw_options.on_video_done = [this](const video_result& r) {
      if (!is_draw(r.output_csv) && options_.on_video_done)
        options_.on_video_done(r);
    };
    options_by_draw_.push_back(draw_options);
    batches_.push_back(std::make_unique<batch>(jobs, options_by_draw_.back(), models));
    before_.push_back(total_);
    total_ += batches_.back()->progress_total();
  }
}

consensus_run::~consensus_run() {
  for (const auto& paths : paths_)
    for (const auto& path : paths) {
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
    }
}

void consensus_run::run(const analysis_models& models, int workers,
                        std::vector<video_result>& results) {
  std::vector<std::vector<video_result>> by_draw;
  for (int d = 0; d < draws_; ++d) {
    if (d > 0 && options_.should_abort && options_.should_abort())
      break;  // the draws not run leave their videos "interrupted"
    run_batch(*batches_[d], models, options_by_draw_[d], workers);
    by_draw.push_back(batches_[d]->results());
  }
  // Draw 0 holds every video (mirror jobs' results are final); the other draws the aus jobs.
  for (size_t k = 0; k < by_draw[0].size(); ++k)
    results[index_[0][k]] = by_draw[0][k];
  for (size_t c = 0; c < consensus_.size(); ++c)
    results[consensus_jobs_[c]] = merge(c, by_draw);
}

bool consensus_run::is_draw(const std::filesystem::path& csv) const {
  for (const auto& paths : paths_)
    if (std::find(paths.begin(), paths.end(), csv) != paths.end())
      return true;
  return false;
}

std::function<void(const progress_event&)> consensus_run::progress_of(int d) {
  if (!sink_)
    return {};
  return [this, d](const progress_event& event) {
    progress_event whole = event;
    const size_t job = index_[d][event.video];
    whole.video = job;
    whole.batch_frames_done += before_[d];
    frames_done_ = whole.batch_frames_done;
    if (std::find(consensus_jobs_.begin(), consensus_jobs_.end(), job) != consensus_jobs_.end()) {
      whole.frames_done += d * event.frames_total;
      whole.frames_total *= draws_;
      if (whole.stage == "done" || whole.stage == "failed")
        return;  // said once, when the median is written (or not)
    }
    sink_(whole);
  };
}

video_result consensus_run::merge(size_t c, const std::vector<std::vector<video_result>>& by_draw) {
  const size_t in_first = consensus_[c];
  video_result result = by_draw[0][in_first];
  result.output_csv = targets_[c];
  std::vector<std::filesystem::path> draws;
  for (size_t d = 0; d < by_draw.size() && result.ok; ++d) {
    const video_result& draw = by_draw[d][d == 0 ? in_first : c];
    if (!draw.ok) {
      result.ok = false;
      result.error = draw.error;
    }
    if (d > 0)
      result.seconds += draw.seconds;
    draws.push_back(paths_[d][c]);
  }
  if (result.ok && static_cast<int>(draws.size()) < draws_) {
    result.ok = false;
    result.error = "'" + result.input.string() + "': interrupted";
  }
  if (result.ok) {
    try {
      result.successful_frames = write_median_csv(draws, targets_[c]).successful;
    } catch (const std::exception& e) {
      result.ok = false;
      result.error = e.what();
    }
  }
  for (const auto& draw : draws) {
    std::error_code ignored;
    std::filesystem::remove(draw, ignored);
  }
  if (sink_) {
    progress_event done;
    done.video = consensus_jobs_[c];
    done.input = result.input;
    done.frames_total = result.frames * draws_;
    done.frames_done = result.ok ? done.frames_total : 0;
    done.batch_frames_done = frames_done_;
    done.stage = result.ok ? "done" : "failed";
    sink_(done);
  }
  if (result.ok && options_.on_video_done)
    options_.on_video_done(result);
  return result;
}

}  // namespace facemirror::detail

#include "batch.h"

#include <algorithm>
#include <fstream>
#include <string_view>

#include "facemirror/error.h"
#include "facemirror/output/atomic_file.h"

namespace facemirror::detail {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The comment tag of the mirror job's mirrored videos. It tells `aus` to cut such a video where
// the mirror job did and to start each segment's tracking cold, as the mirror job's in-pass
// analysis does: the re-analysis then gives the in-pass CSV byte for byte.
constexpr std::string_view mirrored_tag = "facemirror mirrored face; segment_frames=";

std::string mirrored_comment(int segment_frames) {
  return std::string(mirrored_tag) + std::to_string(segment_frames);
}

// The segment length a mirrored video was written with; nullopt for any other video.
std::optional<int64_t> mirrored_segment_frames(const std::string& comment) {
  if (comment.rfind(mirrored_tag, 0) != 0)
    return std::nullopt;
  const std::string digits = comment.substr(mirrored_tag.size());
  if (digits.empty() || digits.size() > 9 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const int64_t frames = std::stoll(digits);
  return frames > 0 ? std::optional<int64_t>(frames) : std::nullopt;
}

}  // namespace

batch::batch(const std::vector<video_job>& jobs, const engine_options& options,
             const shared_models& models)
    : models_(models), options_(options) {
  for (size_t v = 0; v < jobs.size(); ++v) {
    auto state = std::make_unique<video_state>();
    state->job = jobs[v];
    state->result.input = jobs[v].input;
    state->result.output_csv = jobs[v].output_csv;
    try {
      state->info = probe_video(jobs[v].input);
      const int64_t frames = state->info->frame_count();
      state->result.frames = frames;
      plan_outputs(*state, options);
      int64_t length = options.segment_frames;
      if (state->job.kind == job_kind::aus) {
        if (const auto mirrored = mirrored_segment_frames(state->info->comment)) {
          length = *mirrored;
          state->faces = face_kind::mirrored;
        }
      }
      batch_total_ += frames;
      for (int64_t s = 0; s * length < frames; ++s) {
        tasks_.push_back({v, s, s * length, std::min(frames, (s + 1) * length), 0});
        ++state->segments;
      }
    } catch (const std::exception& e) {
      state->finished = true;
      state->result.error = e.what();
    }
    videos_.push_back(std::move(state));
  }
}

std::string batch::stem(size_t video) const {
  return videos_[video]->job.input.stem().string();
}

bool batch::wants(const segment_task& task) {
  video_state& video = *videos_[task.video];
  std::lock_guard<std::mutex> lock(video.mutex);
  if (video.finished)
    return false;
  if (!video.started)
    video.started = std::chrono::steady_clock::now();
  return true;
}

void batch::frame_done(size_t video) {
  {
    std::lock_guard<std::mutex> lock(videos_[video]->mutex);
    ++videos_[video]->frames_analysed;
  }
  ++batch_done_;
  // Mirror jobs mirror and analyse both faces in one pass; the stage names what the user asked.
  report(video, videos_[video]->job.kind == job_kind::mirror ? "mirroring" : "analysing", false);
}

void batch::deliver(const segment_task& task, segment_output output) {
  video_state& video = *videos_[task.video];
  try {
    std::unique_lock<std::mutex> lock(video.mutex);
    if (video.finished)
      return;
    // The per-video mutex makes whoever delivers a segment the video's single in-order stage.
    FACEMIRROR_CHECK(task.segment >= video.next_segment && video.waiting.count(task.segment) == 0,
                     "segment delivered twice");
    video.waiting.emplace(task.segment, std::move(output));
    for (auto it = video.waiting.find(video.next_segment); it != video.waiting.end();
         it = video.waiting.find(video.next_segment)) {
      consume(video, it->second);
      video.waiting.erase(it);
      ++video.next_segment;
    }
    if (video.next_segment < video.segments)
      return;
    lock.unlock();
    report(task.video, "writing", true);
    lock.lock();
    write_outputs(video);
    video.finished = true;
    video.result.ok = true;
    video.result.seconds = seconds_since(*video.started);
    video.tables.clear();  // frees the finished video's in-order state
    video.muxers.clear();
  } catch (const std::exception& e) {
    fail(task.video, e.what());
    return;
  }
  report(task.video, "done", true);
}

void batch::plan_outputs(video_state& video, const engine_options& options) {
  if (video.job.kind == job_kind::aus) {
    video.table_paths = {video.job.output_csv};
    return;
  }
  const bool rotated = video.info->rotation_deg != 0;
  const mirror_outputs out = mirror_outputs_for(video.job.input, video.job.output_dir, rotated);
  if (options.compute_aus)
    video.table_paths = {out.right_csv, out.left_csv};
  video.video_paths = {out.right_video, out.left_video, out.debug_video};
  const std::string mirrored = mirrored_comment(options.segment_frames);
  video.video_comments = {mirrored, mirrored, ""};
  if (rotated) {
    video.video_paths.push_back(out.source_video);
    video.video_comments.emplace_back();
  } else {
    video.copy.emplace(video.job.input, out.source_video);
  }
}

void batch::consume(video_state& video, segment_output& output) {
  if (video.tables.empty() && video.muxers.empty()) {
    for (size_t i = 0; i < video.table_paths.size(); ++i) {
      video.tables.push_back(std::make_unique<csv_stream>(models_));
    }
    const cv::Size size(video.info->width, video.info->height);
    for (size_t i = 0; i < video.video_paths.size(); ++i) {
      video.muxers.push_back(std::make_unique<chunk_muxer>(video.video_paths[i], *video.info, size,
                                                           video.video_comments[i]));
    }
  }
  FACEMIRROR_CHECK(
      output.tables.size() == video.tables.size() && output.videos.size() == video.muxers.size(),
      "segment has the wrong outputs");
  for (size_t i = 0; i < output.tables.size(); ++i) {
    for (auto& frame : output.tables[i])
      video.tables[i]->add(frame);
  }
  // Encoded segments go straight to disk: memory holds one segment's packets, not the video.
  for (size_t i = 0; i < output.videos.size(); ++i)
    video.muxers[i]->append(output.videos[i]);
  video.result.successful_frames += output.face_frames;
}

void batch::write_outputs(video_state& video) {
  // Every file is written whole or not at all. CSVs are prepared before anything is
  // committed, so a failure there leaves none of this video's outputs behind.
  std::vector<std::unique_ptr<atomic_file>> files;
  for (size_t i = 0; i < video.tables.size(); ++i) {
    files.push_back(std::make_unique<atomic_file>(video.table_paths[i]));
    video.tables[i]->write_to(*files.back());
  }
  std::unique_ptr<atomic_file> copy;
  if (video.copy) {
    // An upright source is copied, not re-encoded: bit-exact, audio included.
    copy = std::make_unique<atomic_file>(video.copy->second);
    std::ifstream in(video.copy->first, std::ios::binary);
    std::vector<char> buffer(1 << 20);
    while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
      copy->write(std::string_view(buffer.data(), static_cast<size_t>(in.gcount())));
    }
    if (in.bad())
      throw error(error_code::io, "cannot read '" + video.copy->first.string() + "'");
  }
  for (auto& muxer : video.muxers)
    muxer->finish();
  for (auto& file : files)
    file->commit();
  if (copy)
    copy->commit();
}

void batch::fail(size_t index, const std::string& message) {
  video_state& video = *videos_[index];
  {
    std::lock_guard<std::mutex> lock(video.mutex);
    if (video.finished)
      return;
    video.finished = true;
    video.result.error = message;
    video.waiting.clear();
    video.tables.clear();
    video.muxers.clear();  // removes their partial files
  }
  report(index, "failed", true);
}

void batch::report(size_t index, const char* stage, bool force) {
  if (!options_.on_progress)
    return;
  video_state& video = *videos_[index];
  progress_event event;
  {
    std::lock_guard<std::mutex> lock(video.mutex);
    if (!force && video.frames_analysed < video.next_progress)
      return;
    video.next_progress = video.frames_analysed + options_.progress_interval_frames;
    event.frames_done = video.frames_analysed;
    event.frames_total = video.result.frames;
  }
  event.video = index;
  event.input = video.job.input;
  event.batch_frames_done = batch_done_;
  event.batch_frames_total = batch_total_;
  const double elapsed = seconds_since(start_);
  event.fps = elapsed > 0 ? static_cast<double>(event.batch_frames_done) / elapsed : 0.0;
  event.stage = stage;
  std::lock_guard<std::mutex> lock(progress_mutex_);
  options_.on_progress(event);
}

std::vector<video_result> batch::results() {
  std::vector<video_result> out;
  for (auto& video : videos_) {
    std::lock_guard<std::mutex> lock(video->mutex);
    if (!video->result.ok && video->result.error.empty()) {
      video->result.error = "'" + video->job.input.string() + "': not all frames were processed";
    }
    out.push_back(video->result);
  }
  return out;
}

}  // namespace facemirror::detail

namespace facemirror {

mirror_outputs mirror_outputs_for(const std::filesystem::path& input,
                                  const std::filesystem::path& dir, bool rotated) {
  const std::string stem = input.stem().string();
  mirror_outputs out;
  out.right_video = dir / (stem + "_right_mirrored.mp4");
  out.left_video = dir / (stem + "_left_mirrored.mp4");
  out.debug_video = dir / (stem + "_debug.mp4");
  out.right_csv = dir / (stem + "_right_mirrored.csv");
  out.left_csv = dir / (stem + "_left_mirrored.csv");
  out.source_video =
      dir / (stem + "_source" + (rotated ? std::string(".mp4") : input.extension().string()));
  return out;
}

}  // namespace facemirror

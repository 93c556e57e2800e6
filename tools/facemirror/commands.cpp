#include "commands.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "facemirror/io/video_reader.h"
#include "facemirror/report/report.h"
#include "facemirror/version.h"

#include "inputs.h"
#include "progress.h"

namespace facemirror::cli {
namespace {

namespace fs = std::filesystem;

engine_options engine_options_from(const run_options& opt, progress_printer& printer) {
  engine_options options;
  if (!opt.models_dir.empty())
    options.models_dir = fs::path(opt.models_dir);
  options.workers = opt.workers;
  options.segment_frames = opt.segment_frames;
  options.mirror_crf = opt.crf;
  options.compute_aus = !opt.no_aus;
  options.static_aus = opt.static_aus;
  options.landmarks = opt.landmarks == "dlib" ? landmark_method::dlib : landmark_method::clnf;
  options.tracker.acquire_score = opt.face_threshold;
  options.mode = opt.isolation == "process" ? isolation::process : isolation::thread;
  options.frame_timeout_s = opt.timeout_s;
  options.on_progress = [&printer, &opt](const progress_event& e) {
    printer(e);
    if (opt.on_progress)
      opt.on_progress(e);
  };
  options.should_abort = [&opt] {
    return interrupted.load() || (opt.should_abort && opt.should_abort());
  };
  if (const char* fault = std::getenv("FACEMIRROR_TEST_FAULT"))
    options.test_fault = fault;
  return options;
}

// A mirror job is complete when every file it would write is there (S1's resume rule).
bool mirror_outputs_exist(const video_job& job, bool with_aus) {
  bool rotated = false;
  try {
    rotated = probe_video(job.input).rotation_deg != 0;
  } catch (const std::exception&) {
    return false;  // let the engine report the bad input
  }
  const mirror_outputs out = mirror_outputs_for(job.input, job.output_dir, rotated);
  std::vector<fs::path> files = {out.right_video, out.left_video, out.debug_video,
                                 out.source_video};
  if (with_aus)
    files.insert(files.end(), {out.right_csv, out.left_csv});
  for (const auto& file : files) {
    if (!fs::exists(file))
      return false;
  }
  return true;
}

// The report of the videos this mirror job did or found done (other videos in the folder keep
// their reports; index.html lists them all).
int report_mirror_job(const run_options& opt, const std::vector<std::string>& stems) {
  report_options options;
  options.command = opt.command_line;
  if (!opt.models_dir.empty())
    options.models_dir = fs::path(opt.models_dir);
  options.stems = stems;
  try {
    int failures = 0;
    for (const auto& r : write_report(fs::path(opt.output_dir), options)) {
      if (!r.ok) {
        ++failures;
        std::fprintf(stderr, "FAILED report %s: %s\n", r.stem.c_str(), r.error.c_str());
      } else if (!opt.quiet) {
        std::fprintf(stderr, "report %s\n", r.html.string().c_str());
      }
    }
    return failures == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FAILED report: %s\n", e.what());
    return 1;
  }
}

}  // namespace

std::string command_line(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i > 0)
      line += ' ';
    const bool plain = !arg.empty() && arg.find_first_of(" \t'\"\\$") == std::string::npos;
    line += plain ? arg : "'" + arg + "'";
  }
  return line;
}

int run_report(const report_command& command) {
  report_options options;
  options.command = command.command_line;
  if (!command.models_dir.empty())
    options.models_dir = fs::path(command.models_dir);
  options.stills = command.stills;
  std::vector<report_result> results;
  try {
    results = write_report(fs::path(command.folder), options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "facemirror: %s\n", e.what());
    return 1;
  }
  int failures = 0;
  for (const auto& r : results) {
    if (!r.ok) {
      ++failures;
      std::fprintf(stderr, "FAILED %s: %s\n", r.stem.c_str(), r.error.c_str());
    } else if (!command.quiet) {
      std::fprintf(stderr, "ok     %s\n", r.html.string().c_str());
    }
  }
  if (!command.quiet)
    std::fprintf(stderr, "index  %s\n", (fs::path(command.folder) / "index.html").string().c_str());
  return failures == 0 ? 0 : 1;
}

int run(const run_options& opt, job_kind kind) {
  const auto start = std::chrono::steady_clock::now();
  const fs::path output_dir(opt.output_dir);
  std::error_code ec;
  fs::create_directories(output_dir, ec);
  if (!fs::is_directory(output_dir)) {
    std::fprintf(stderr, "facemirror: cannot create output folder '%s'\n", opt.output_dir.c_str());
    return 1;
  }
  input_plan plan = plan_inputs(opt.inputs, output_dir);
  std::vector<video_job> jobs;
  std::vector<std::string> unreported;  // skipped mirror jobs that have no report yet
  int skipped = 0;
  for (auto& job : plan.jobs) {
    if (kind == job_kind::mirror) {
      job.kind = job_kind::mirror;
      job.output_dir = output_dir;
      if (!opt.force && mirror_outputs_exist(job, !opt.no_aus)) {
        ++skipped;
        const std::string stem = job.input.stem().string();
        if (!fs::exists(output_dir / (stem + "_report.html")))
          unreported.push_back(stem);
        if (opt.on_outcome)
          opt.on_outcome("skipped", job.input.string(), output_dir.string());
        if (!opt.quiet) {
          std::fprintf(stderr, "skip   %s (outputs present; --force redoes it)\n",
                       job.input.string().c_str());
        }
        continue;
      }
    }
    jobs.push_back(job);
  }

  progress_printer printer(opt.quiet ? progress_style::none : parse_progress_style(opt.progress));
  engine runner(engine_options_from(opt, printer));
  if (!opt.quiet) {
    std::fprintf(stderr, "facemirror %s: models loaded in %.2f s, %d workers\n", version(),
                 runner.model_load_seconds(), runner.worker_count());
  }
  const auto results = runner.run(jobs);
  printer.finish();

  int failures = static_cast<int>(plan.rejected.size());
  int64_t frames = 0;
  for (const auto& line : plan.rejected) {
    std::fprintf(stderr, "FAILED %s\n", line.c_str());
    if (opt.on_outcome)
      opt.on_outcome("failed", "", line);
  }
  for (const auto& r : results) {
    if (opt.on_outcome)
      opt.on_outcome(r.ok ? "done" : "failed", r.input.string(),
                     r.ok ? output_dir.string() : r.error);
    if (!r.ok) {
      ++failures;
      std::fprintf(stderr, "FAILED %s\n", r.error.c_str());
      continue;
    }
    frames += r.frames;
    if (opt.quiet)
      continue;
    const std::string where =
        kind == job_kind::aus ? r.output_csv.string() : output_dir.string() + "/";
    std::fprintf(stderr, "ok     %s -> %s (%lld frames, %lld with a face, %.1f s)\n",
                 r.input.string().c_str(), where.c_str(), static_cast<long long>(r.frames),
                 static_cast<long long>(r.successful_frames), r.seconds);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!opt.quiet) {
    std::fprintf(stderr, "done %zu, skipped %d, failed %d in %.1f s (%.1f frames/s)\n",
                 results.size() - static_cast<size_t>(failures - plan.rejected.size()), skipped,
                 failures, seconds, seconds > 0 ? static_cast<double>(frames) / seconds : 0.0);
  }
  if (interrupted)
    return 130;
  // The report covers the videos done now and skipped ones without a report; a run that
  // skipped everything rewrites nothing.
  std::vector<std::string> stems = unreported;
  for (const auto& r : results) {
    if (r.ok)
      stems.push_back(r.input.stem().string());
  }
  if (kind == job_kind::mirror && !opt.no_report && !opt.no_aus && !stems.empty()) {
    if (report_mirror_job(opt, stems) != 0)
      return 1;
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace facemirror::cli

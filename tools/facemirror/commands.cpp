#include "commands.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "facemirror/io/video_reader.h"
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
  options.outputs = csv_outputs::parse(opt.outputs);
  if (opt.no_aus)
    options.outputs.aus = false;
  if (opt.fx) {  // main() checks that all four or none are given
    options.camera = camera_intrinsics{*opt.fx, *opt.fy, *opt.cx, *opt.cy};
  }
  options.static_aus = opt.static_aus;
  options.landmarks = opt.landmarks == "dlib" ? landmark_method::dlib : landmark_method::clnf;
  options.tracker.acquire_score = opt.face_threshold;
  options.mode = opt.isolation == "process" ? isolation::process : isolation::thread;
  options.frame_timeout_s = opt.timeout_s;
  options.on_progress = [&printer](const progress_event& e) { printer(e); };
  options.should_abort = [] { return interrupted.load(); };
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

}  // namespace

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
  int skipped = 0;
  for (auto& job : plan.jobs) {
    if (kind == job_kind::mirror) {
      job.kind = job_kind::mirror;
      job.output_dir = output_dir;
      if (!opt.force && mirror_outputs_exist(job, !opt.no_aus)) {
        ++skipped;
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
  for (const auto& line : plan.rejected)
    std::fprintf(stderr, "FAILED %s\n", line.c_str());
  for (const auto& r : results) {
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
  return failures == 0 ? 0 : 1;
}

}  // namespace facemirror::cli

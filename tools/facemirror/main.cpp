// facemirror: per-frame OpenFace-2.2-layout facial Action Unit CSVs from videos, on every core.
//
// A thin shell over the library: parse options, build the engine, print one summary line per
// input. Exit status: 0 every input succeeded, 1 some input failed, 2 usage error,
// 130 interrupted (SIGINT/SIGTERM; unfinished outputs are removed).

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <opencv2/core/utility.hpp>

#include "facemirror/models/model_paths.h"
#include "facemirror/pipeline/engine.h"
#include "facemirror/version.h"

#include "inputs.h"
#include "progress.h"

namespace {

std::atomic<bool> interrupted{false};

extern "C" void on_signal(int) {
  interrupted = true;
}

struct aus_command {
  std::vector<std::string> inputs;
  std::string output_dir;
  std::string models_dir;
  int workers = 0;
  int segment_frames = 240;
  bool static_aus = false;
  bool no_aus = false;
  std::string progress = "auto";
  bool quiet = false;
  std::string isolation = "thread";
  double timeout_s = 60.0;
};

void add_aus_options(CLI::App& cmd, aus_command& opt) {
  cmd.add_option("inputs", opt.inputs,
                 "Video files, or folders whose video files are all processed")
      ->required();
  cmd.add_option("-o,--output-dir", opt.output_dir,
                 "Folder for the CSVs: OUTDIR/<input stem>.csv (created if missing)")
      ->required();
  cmd.add_option("--models", opt.models_dir,
                 "Models folder holding OpenFace's AU_predictors/ (default: $FACEMIRROR_MODELS, "
                 "else ~/.local/share/facemirror/models; fill it with scripts/fetch_models.sh)");
  cmd.add_option("-w,--workers", opt.workers,
                 "Worker threads, each with its own tracker and decoder (default: one per core). "
                 "The CSV bytes do not depend on it")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--segment-frames", opt.segment_frames,
                 "Frames per work unit; every video is cut into segments of this length")
      ->check(CLI::PositiveNumber);
  cmd.add_flag("--au-static", opt.static_aus,
               "Use OpenFace's static AU models (no person-specific normalisation), like "
               "FeatureExtraction -au_static");
  cmd.add_flag("--no-aus", opt.no_aus, "Landmarks, pose and shape parameters only");
  cmd.add_option("--progress", opt.progress,
                 "auto (bar on a terminal), bar, json (one JSON object per line on stderr) or none")
      ->check(CLI::IsMember({"auto", "bar", "json", "none"}));
  cmd.add_flag("-q,--quiet", opt.quiet, "No progress and no per-input summary lines");
  cmd.add_option("--isolation", opt.isolation,
                 "thread (default): workers share the models in memory; process: each worker is "
                 "a process, and one that crashes or hangs is replaced, its segment retried once")
      ->check(CLI::IsMember({"thread", "process"}));
  cmd.add_option("--timeout", opt.timeout_s,
                 "With --isolation process: seconds a worker may spend on one frame before it is "
                 "killed and replaced")
      ->check(CLI::PositiveNumber);
}

int run_aus(const aus_command& opt) {
  namespace fs = std::filesystem;
  const fs::path output_dir(opt.output_dir);
  std::error_code ec;
  fs::create_directories(output_dir, ec);
  if (!fs::is_directory(output_dir)) {
    std::fprintf(stderr, "facemirror: cannot create output folder '%s'\n", opt.output_dir.c_str());
    return 1;
  }
  facemirror::cli::input_plan plan = facemirror::cli::plan_inputs(opt.inputs, output_dir);

  facemirror::cli::progress_printer printer(
      opt.quiet ? facemirror::cli::progress_style::none
                : facemirror::cli::parse_progress_style(opt.progress));
  facemirror::engine_options options;
  if (!opt.models_dir.empty())
    options.models_dir = fs::path(opt.models_dir);
  options.workers = opt.workers;
  options.segment_frames = opt.segment_frames;
  options.compute_aus = !opt.no_aus;
  options.static_aus = opt.static_aus;
  options.on_progress = [&printer](const facemirror::progress_event& e) { printer(e); };
  options.should_abort = [] { return interrupted.load(); };
  options.mode =
      opt.isolation == "process" ? facemirror::isolation::process : facemirror::isolation::thread;
  options.frame_timeout_s = opt.timeout_s;
  if (const char* fault = std::getenv("FACEMIRROR_TEST_FAULT"))
    options.test_fault = fault;
  // Parallelism comes from our workers; OpenCV's own pool would only oversubscribe the cores
  // (and must not exist when worker processes are forked).
  cv::setNumThreads(0);

  facemirror::engine engine(options);
  if (!opt.quiet) {
    std::fprintf(stderr, "facemirror %s: models loaded in %.2f s, %d workers\n",
                 facemirror::version(), engine.model_load_seconds(), engine.worker_count());
  }
  const auto results = engine.run(plan.jobs);
  printer.finish();

  int failures = static_cast<int>(plan.rejected.size());
  for (const auto& line : plan.rejected)
    std::fprintf(stderr, "FAILED %s\n", line.c_str());
  for (const auto& r : results) {
    if (!r.ok) {
      ++failures;
      std::fprintf(stderr, "FAILED %s\n", r.error.c_str());
    } else if (!opt.quiet) {
      std::fprintf(stderr, "ok     %s -> %s (%lld frames, %lld with a face, %.1f s)\n",
                   r.input.string().c_str(), r.output_csv.string().c_str(),
                   static_cast<long long>(r.frames), static_cast<long long>(r.successful_frames),
                   r.seconds);
    }
  }
  if (interrupted)
    return 130;
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "facemirror: OpenFace-2.2-compatible facial Action Units from videos, on every core"};
  app.set_version_flag("--version", facemirror::version());
  app.require_subcommand(1);
  aus_command aus;
  CLI::App* aus_cmd = app.add_subcommand(
      "aus", "Write one OpenFace-2.2-layout CSV per input video (landmarks, pose, AUs)");
  aus_cmd->footer(
      "Example:\n  facemirror aus patient01.mp4 sessions/ -o results/ --workers 4\n"
      "writes results/patient01.csv and one CSV per video in sessions/.");
  add_aus_options(*aus_cmd, aus);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    if (aus_cmd->parsed())
      return run_aus(aus);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "facemirror: %s\n", e.what());
    return 1;
  }
  return 2;
}

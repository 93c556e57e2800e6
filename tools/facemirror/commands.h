#pragma once
// The CLI's commands: options as parsed, and the run that turns them into engine jobs.

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "facemirror/pipeline/engine.h"

namespace facemirror::cli {

/// Set by SIGINT/SIGTERM; the engine polls it and stops.
inline std::atomic<bool> interrupted{false};

struct run_options {
  std::vector<std::string> inputs;
  std::string output_dir;
  std::string models_dir;
  int workers = 0;
  int segment_frames = 240;
  int crf = 18;  // mirror: x264 quality of the written videos
  bool static_aus = false;
  bool no_aus = false;
  bool force = false;  // mirror: redo videos whose outputs exist
  std::string landmarks = "clnf";
  double face_threshold = -0.5;  // detection score needed to accept a new face
  std::string progress = "auto";
  bool quiet = false;
  std::string isolation = "thread";
  double timeout_s = 60.0;
  bool no_report = false;    // mirror: no HTML report at the end
  std::string command_line;  // as typed, for the report's provenance
  // For the app: progress and stop requests besides the terminal's and SIGINT, and each
  // input's outcome ("done", "skipped" or "failed", the input, and the output folder or the
  // reason). Called from the engine's threads one at a time.
  std::function<void(const progress_event&)> on_progress;
  std::function<bool()> should_abort;
  std::function<void(const std::string&, const std::string&, const std::string&)> on_outcome;
};

/// `facemirror report OUTDIR`: the HTML reports and asymmetry CSVs of an output folder.
struct report_command {
  std::string folder;
  std::string models_dir;
  int stills = 3;
  bool quiet = false;
  std::string command_line;
};
[[nodiscard]] int run_report(const report_command& options);

/// Joins argv into one line (arguments with spaces quoted), for provenance.
[[nodiscard]] std::string command_line(int argc, char** argv);

/// Runs a batch; returns the process exit status.
[[nodiscard]] int run(const run_options& options, job_kind kind);

}  // namespace facemirror::cli

#pragma once
// The CLI's commands: options as parsed, and the run that turns them into engine jobs.

#include <atomic>
#include <optional>
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
  std::string outputs = "all";  // aus: OpenFace's output selectors (csv_outputs::parse)
  /// aus: camera intrinsics (pixels), all four or none (OpenFace's guess).
  std::optional<double> fx, fy, cx, cy;
  double timeout_s = 60.0;
};

/// Runs a batch; returns the process exit status.
[[nodiscard]] int run(const run_options& options, job_kind kind);

}  // namespace facemirror::cli

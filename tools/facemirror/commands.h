#pragma once
// The CLI's commands: options as parsed, and the run that turns them into engine jobs.

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "facemirror/pipeline/engine.h"

namespace facemirror::cli {

/// The consensus (tracks per video) the engine takes (1 to max_consensus_tracks, engine.h), for
/// the options of the CLI, the OpenFace drop-in and the app, which take numbers of any kind.
[[nodiscard]] inline bool valid_consensus_tracks(double n) {
  return n >= 1 && n <= max_consensus_tracks && n == static_cast<int>(n);
}

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
  int max_faces = 1;     // aus --max-faces: FaceLandmarkVidMulti's rules above 1
  int frame_stride = 1;  // aus --frame-stride: every Nth frame only
  int consensus = 1;     // aus --consensus: tracks per video, each CSV cell their median
  bool no_aus = false;
  bool write_hog = false;                        // aus: OpenFace's <stem>.hog
  bool write_aligned_faces = false;              // aus: OpenFace's <stem>_aligned/ folder
  engine_options::aligned_face_options aligned;  // aus: how those faces are written
  bool force = false;    // redo videos whose outputs exist (and whose last attempt did not fail)
  std::string manifest;  // file listing more inputs, one per line (shards.h)
  std::string shard;     // "I/N", "auto/N" or "auto": only this shard of the inputs (shards.h)
  // Print the inputs the run would process (absolute paths, one per line) once the models
  // folder is checked, and process nothing (submit.sh's manifest and its check before
  // submitting).
  bool list_inputs = false;
  std::string landmarks = "clnf";
  double face_threshold = -0.5;  // detection score needed to accept a new face
  std::string progress = "auto";
  bool quiet = false;
  std::string isolation = "thread";
  std::string outputs = "all";  // aus: OpenFace's output selectors (csv_outputs::parse)
  /// aus: camera intrinsics (pixels); fx with fy, cx with cy; what is not given is OpenFace's
  /// guess.
  std::optional<double> fx, fy, cx, cy;
  double timeout_s = 60.0;
  bool frame_folders = false;  // aus --frames: a folder is one video of image frames (-fdir)
  // OpenFace's -of, one per input in the order given: the i-th input's outputs are
  // OUTDIR/NAME.csv, ... (NAME without extension, maybe under folders of OUTDIR); inputs past
  // the last name keep their own.
  std::vector<std::string> output_names;
  bool no_report = false;  // mirror: no HTML report at the end
  // `facemirror openface` and its siblings: the folder holds OpenFace's files, a
  // <stem>_of_details.txt for every input included, and nothing else: neither a video's task
  // plan (<stem>_tasks.csv beside it, else copied beside its outputs for the report) nor the
  // records a resume reads (.facemirror/, status.h).
  bool openface_folder = false;
  std::string command_line;  // as typed, for the report's provenance
  // For the app: progress and stop requests besides the terminal's and SIGINT, and each
  // input's outcome ("done", "skipped", "failed", or "cancelled" for one the stop cut short; the
  // input; and the output folder or the reason); "done" as soon as the video's outputs (and its
  // report page) are written, the rest when the batch ends. Called one at a time, from the
  // engine's threads or the caller's.
  std::function<void(const progress_event&)> on_progress;
  std::function<bool()> should_abort;
  std::function<void(const std::string&, const std::string&, const std::string&)> on_outcome;
};

/// `facemirror report OUTDIR`: the HTML reports and asymmetry CSVs of an output folder.
struct report_command {
  std::string folder;
  std::string models_dir;
  int stills = 3;
  double min_face_share = 0.8;
  double max_turned_share = 0.2;
  bool quiet = false;
  std::string command_line;
};
[[nodiscard]] int run_report(const report_command& options);

/// Joins argv into one line (arguments with spaces quoted), for provenance.
[[nodiscard]] std::string command_line(int argc, char** argv);

/// Runs a batch; returns the process exit status. Skips videos whose outputs are present
/// (unless force). With a manifest or a shard, writes each processed video's status file
/// (status.h) when the batch ends.
[[nodiscard]] int run(const run_options& options, job_kind kind);

struct summary_options {
  std::string output_dir;
  std::string manifest;       // empty: the videos that have a status file in OUTDIR
  std::string kind = "auto";  // aus, mirror, or auto: the kind OUTDIR's files are of
  std::string csv;            // empty: OUTDIR/status/summary.csv
};

/// `facemirror summary`: every video of the batch as done, failed (with the reason) or
/// missing, as a table on stdout and a CSV. Returns 0 only when every video is done.
[[nodiscard]] int summarize(const summary_options& options);

}  // namespace facemirror::cli

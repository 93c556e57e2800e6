#pragma once
// The clinician's report: self-contained HTML pages and CSV tables from a facemirror output
// folder.
//
// WHAT THIS REPRESENTS
//   A report over one output folder. For every video the folder holds the report writes
//     <stem>_report.html   one file, no network, no external file: per-AU SVG charts of the
//                          left and right mirrored faces over time (intensities as lines,
//                          presences as bands), the summary table with the indices' definitions,
//                          quality (head-yaw bands, frames without a face, embedded JPEG stills
//                          of both mirrored faces at the strongest asymmetry) and provenance;
//     <stem>_asymmetry.csv the summary table's numbers (mirror jobs only);
//     and, for a video with a task plan <stem>_tasks.csv (tasks.h), a Tasks section in the
//     page and <stem>_task_asymmetry.csv (mirror jobs) or <stem>_task_aus.csv (one face);
//   and for the folder index.html (links to every report, the asymmetry overview, every task),
//   asymmetry_summary.csv (every mirror job's rows, with a video column) and, when a video has
//   a task plan, task_summary.csv (every mirror job's task rows, with a video column) or
//   task_aus_summary.csv (every one-face video's). A task table whose plan is gone is removed.
//   A video is found by its outputs: a mirror job's <stem>_left_mirrored.csv and
//   <stem>_right_mirrored.csv (the mirrored videos <stem>_{left,right}_mirrored.mp4 give the
//   stills, <stem>_head_pose.csv the source face's yaw, <stem>_source.* the input's frame
//   count and rate), or an aus job's <stem>.csv in OpenFace's layout (one face: the same charts
//   and table, no left/right indices; a CSV of several tracked faces is one video per face_id,
//   <stem>_face<id>, whose page reads that face's rows and the video's task plan).
//   "left" and "right" are the patient's anatomical sides: right_mirrored is the patient's right
//   half (image left in an unflipped camera view) and its reflection.
//
// THREAD SAFETY
//   Everything here touches only files of its folder (and what report_options::recorded reads:
//   the CLI's reads each input's first and last MiB). write_report() calls on one folder, and
//   report_writer's index with them, must not overlap; report_writer::write_video() calls for
//   different videos may (see report_writer).
//
// ERRORS
//   A folder that does not exist, or holds no video's outputs, throws error(invalid_argument)
//   naming it. A video whose files are unreadable or malformed does not stop the others: its
//   report_result carries the reason (naming the file), it is listed as failed in index.html,
//   and nothing is written for it. Every file is written whole or not at all (atomic_file).

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "facemirror/report/asymmetry.h"
#include "facemirror/report/tasks.h"

namespace facemirror {

/// How a video's AU files were made, as the run that made them recorded it; every field may be
/// empty (an older run's record lacks the later ones).
struct analysis_record {
  std::string command;            // the command line (or Python call) that made them
  std::string working_dir;        // where it ran: the folder its relative paths are relative to
  std::string finished;           // when they were finished, UTC, ISO 8601 ("2026-12-07T16:40:12Z")
  std::string input;              // the input analysed, absolute
  std::string input_fingerprint;  // facemirror::input_fingerprint() of it then
  /// The options that shaped the outputs, by name ("au-static" -> "no", ...): the defaults too,
  /// so that a later version's other defaults cannot pass unnoticed. Empty when not recorded.
  std::map<std::string, std::string> options;
  /// The file under `input` now, against that fingerprint, as checked when the record was read.
  enum class input_state { not_checked, unchanged, changed, unreadable };
  input_state input_now = input_state::not_checked;
};

struct report_options {
  /// The command line to print under provenance (the CLI passes its argv).
  std::string command;
  /// Per video stem (a mirrored pair's, or a one-face CSV's): how its AU files were made, or
  /// nullopt when that is not known. The page states the command (when another than
  /// `command`), where and when it ran, and the input with its fingerprint and state now: a
  /// report of AU files whose input has changed since says so at its top. Called from the
  /// threads that write pages (report_writer), so it must be safe to call from several at once.
  /// Unset: no such rows.
  std::function<std::optional<analysis_record>(const std::string& stem)> recorded;
  /// Models folder whose files' SHA-256 the provenance lists; nullopt: default_models_dir().
  /// A missing folder is reported as such in the page, not an error.
  std::optional<std::filesystem::path> models_dir;
  /// Only these stems (empty: every video in the folder). index.html always lists the folder.
  std::vector<std::string> stems;
  /// Stills of both mirrored faces at the frames of strongest asymmetry (0: none).
  int stills = 3;
  /// A side whose face was found in fewer than this share of the frames (0..1) is flagged in
  /// its page's quality section and in the folder's index: its statistics rest on few frames.
  double min_face_share = 0.8;
  /// A mirrored video whose source head is turned past S1's acceptable band (|yaw| > 5
  /// degrees, "mirroring affected") in more than this share (0..1) of its frames with a face is
  /// flagged in its page's summary and in the folder's index: one half of a turned face looks
  /// smaller, and its mirrored whole face biases the left/right comparison.
  double max_turned_share = 0.2;
  asymmetry_thresholds thresholds;
};

/// One video's outputs in the folder, as found by find_report_videos().
struct report_video {
  std::string stem;
  bool mirrored = false;            // a left/right pair, else one face
  std::filesystem::path left_csv;   // mirrored
  std::filesystem::path right_csv;  // mirrored
  std::filesystem::path face_csv;   // one face
  /// One face of a CSV of several (face_id column with several values: `aus --max-faces`,
  /// FaceLandmarkVidMulti): its rows only, as the video `<csv stem>_face<id>`; nullopt: every
  /// row of face_csv.
  std::optional<int> face_id;
  std::filesystem::path left_video;     // may not exist (no stills then)
  std::filesystem::path right_video;    // may not exist
  std::filesystem::path head_pose_csv;  // may not exist (no yaw bands then)
  std::filesystem::path tasks_csv;      // <stem>_tasks.csv, the task plan; may not exist
  std::optional<std::filesystem::path> source_video;
};

/// Every video whose outputs are in `dir`, sorted by stem.
[[nodiscard]] std::vector<report_video> find_report_videos(const std::filesystem::path& dir);

struct report_result {
  std::string stem;
  bool ok = false;
  std::string error;  // one line naming the file and the reason, when !ok
  // ok, but the video's task plan could not be used (its file, line and reason): the page is
  // written without its task section, which says so.
  std::string plan_error;
  std::filesystem::path html;
};

/// Writes the reports of `dir` (see above); one result per video reported.
[[nodiscard]] std::vector<report_result> write_report(const std::filesystem::path& dir,
                                                      const report_options& options);

/// A folder's reports written video by video, each as soon as its outputs are, then the index
/// once (the mirror job's way): the model checksums every page's provenance lists are computed
/// once, on the first page, for all of them. Thread-safe: write_video() calls for different
/// videos may run at once, also while other outputs appear in the folder.
class report_writer {
 public:
  report_writer(std::filesystem::path dir, report_options options);
  ~report_writer();
  report_writer(const report_writer&) = delete;
  report_writer& operator=(const report_writer&) = delete;

  /// <stem>_report.html and (mirror jobs) <stem>_asymmetry.csv, nothing else; `stems` of the
  /// options is ignored. Never throws: a missing or malformed video is a result with its reason,
  /// and is listed as failed by write_index().
  [[nodiscard]] report_result write_video(const std::string& stem) const;
  /// index.html and asymmetry_summary.csv of the whole folder, as write_report() writes them;
  /// throws as write_report() does for a folder without videos. A video whose page this writer
  /// wrote is not read again unless one of its CSVs changed size or time since (a long batch's
  /// index would otherwise parse every CSV twice). Not concurrently with write_video().
  void write_index() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// One AU's summary row, for the CSVs and tests.
struct au_summary {
  std::string au;  // "AU12_r"
  bool intensity = true;
  side_stats left;                  // the single face's numbers for a one-face video
  side_stats right;                 // unused for a one-face video
  std::optional<double> asymmetry;  // AI on the means, under its level gate
  symmetry_ratio symmetry;          // intensities of mirrored videos only
};

/// The header and rows of <stem>_asymmetry.csv; `video_column` prefixes each row with the stem
/// (asymmetry_summary.csv). Numbers have 4 decimals; an undefined index is empty.
[[nodiscard]] std::string asymmetry_csv_header(bool video_column);
[[nodiscard]] std::string asymmetry_csv_rows(const std::string& stem,
                                             const std::vector<au_summary>& rows,
                                             bool video_column);

/// The header and rows of <stem>_task_asymmetry.csv (written beside a mirrored video's page
/// when it has a task plan) and, with `video_column`, of the folder's task_summary.csv: per
/// task, a row of its own (au: the primary AUs joined by '+', role `task`: the summed
/// excursions and their SR) then one per AU intensity (role primary, secondary or other), each
/// with the window, its frame count and both sides' frames with a face and mean confidence.
[[nodiscard]] std::string task_asymmetry_csv_header(bool video_column);
[[nodiscard]] std::string task_asymmetry_csv_rows(const std::string& stem,
                                                  const std::vector<task_summary>& tasks,
                                                  bool video_column);

/// The same for a one-face video (an aus job's <stem>.csv with a task plan): the header and rows
/// of <stem>_task_aus.csv and, with `video_column`, of the folder's task_aus_summary.csv. Per
/// task a row of its own (au: the primary AUs joined by '+', role `task`, excursion: their sum)
/// then one per AU intensity, each with the window, its frame count, the frames with a face and
/// their mean confidence; one set of statistics, no ratio.
[[nodiscard]] std::string task_aus_csv_header(bool video_column);
[[nodiscard]] std::string task_aus_csv_rows(const std::string& stem,
                                            const std::vector<task_summary>& tasks,
                                            bool video_column);

}  // namespace facemirror

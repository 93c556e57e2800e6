#pragma once
// The movement tasks of a recording, and each task's left/right asymmetry (or, for one face,
// each task's AU excursions).
//
// WHAT THIS REPRESENTS
//   A palsy recording often holds several standard movements (brow raise, eye closure, smile,
//   ...) one after another. A task plan names them with their time windows, in a CSV that the
//   clinician writes beside a video's outputs as `<stem>_tasks.csv`:
//
//       task,start_s,end_s,aus
//       rest,0,2
//       brow_raise,2.5,6
//       smile,7,10
//       cheek_puff,11,13,AU14 AU23
//
//   `start_s` and `end_s` are seconds on the CSVs' timestamps, the window [start_s, end_s).
//   `rest` (at most one row) is the resting face every task's baseline comes from; without it
//   the first `baseline_s` seconds of the recording are the rest, as for the whole-video
//   summary. A standard movement (standard_tasks(), after
//   shared/research/asymmetry_report.md, recommendation 4) brings its own AUs; any other name
//   needs the `aus` field (AU numbers or intensity columns, separated by blanks). Task names
//   are read case-insensitively with blanks and hyphens as underscores ("Brow raise" is
//   brow_raise). Task windows may overlap each other (not the rest window: a baseline taken
//   while the face moves would hide the movement) and need not be in time order. Fields may be
//   quoted, as a spreadsheet exports them, but not hold commas.
//
//   Per task, side and AU intensity (recommendation 1): the baseline b = median over the rest
//   window, P = 95th percentile over the task's window, E = max(0, P - b), over frames with a
//   face only. The task's own symmetry ratio compares the sums of its primary AUs' excursions
//   (a brow raise is AU01 + AU02) under the same activation gate as one AU's
//   (compute_symmetry_ratio). Every other AU intensity is measured over the window too: those
//   of other face regions are the synkinesis a movement brings (recommendation 6).
//
// UNITS
//   Seconds; AU intensities 0..5; confidence 0..1.
//
// THREAD SAFETY
//   Pure functions on values; read_task_plan() reads only its file.
//
// ERRORS
//   read_task_plan() throws error(io) when the file cannot be read; it and parse_task_plan()
//   throw error(invalid_argument) naming the file and line for a missing header field, a
//   number that is not one, a window that ends before it starts, a second `rest`, a task
//   window that overlaps the rest window, more than
//   max_tasks tasks, an unknown
//   task without AUs, or an AU that is not "AUnn" or has no intensity in OpenFace (AU28 and
//   AUs it does not measure). summarise_tasks() throws
//   error(invalid_argument) when the two sides' series differ in length.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "facemirror/report/asymmetry.h"
#include "facemirror/report/au_series.h"

namespace facemirror {

struct task_window {
  std::string name;   // canonical: "brow_raise"
  std::string label;  // for people: "Brow raise" (a custom task: its name as written)
  time_window window;
  std::vector<std::string> primary;    // intensity columns whose excursions the SR sums
  std::vector<std::string> secondary;  // further AUs of the movement, shown beside them
  std::string note;                    // e.g. why an AU stands in for one OpenFace lacks
};

struct task_plan {
  std::filesystem::path source;
  std::optional<time_window> rest;  // the "rest" row
  std::vector<task_window> tasks;   // file order, rest excluded
};

/// The most tasks a plan may hold (each is a table, charts and stills in the page).
inline constexpr size_t max_tasks = 200;

/// The standard movements by canonical name, in the order of recommendation 4.
[[nodiscard]] const std::vector<task_window>& standard_tasks();

[[nodiscard]] task_plan parse_task_plan(const std::string& text,
                                        const std::filesystem::path& source);
[[nodiscard]] task_plan read_task_plan(const std::filesystem::path& csv);

/// The stem whose `<stem>_tasks.csv` holds the tasks of a video named `video_stem`: its own, or
/// for one face of a mirrored pair (`<stem>_left_mirrored`, `<stem>_right_mirrored`, as the
/// mirror job and S1 Face Mirror name them) the pair's, which the report reads for both faces.
[[nodiscard]] std::string task_plan_stem(const std::string& video_stem);

/// Where the plan of `video` lies beside it: <folder>/<task_plan_stem>_tasks.csv.
[[nodiscard]] std::filesystem::path task_plan_beside_video(const std::filesystem::path& video);

/// Takes the plan beside `video` (task_plan_beside_video) into `output_dir` as
/// `<report_stem>_tasks.csv`, where the report reads it: the stem of the video's CSV, or for a
/// mirror job's or a mirrored pair's the pair's. The newer plan wins: one edited beside the
/// video since it was copied (the app's editor writes there) replaces the copy; one put or
/// edited in the output folder since is the user's and is kept, as is one with the same bytes.
/// What it copies it also keeps as `output_dir/.facemirror/<report_stem>_tasks.csv.copied`:
/// once the plan beside the video is removed, a copy still equal to it is removed too (a copy
/// edited in the output folder, or put there by hand, stays).
/// Returns what it did (the report changes unless `unchanged`). Throws error(io) naming the
/// file when a copy cannot be written or removed (nothing half-written: atomic_copy). Touches
/// only those three files; two calls for the same copy must not overlap.
enum class plan_copy { unchanged, copied, removed };
plan_copy bring_task_plan(const std::filesystem::path& video,
                          const std::filesystem::path& output_dir, const std::string& report_stem);

/// One row of a plan as a person writes it: `task` is "rest", a standard movement's canonical
/// name, or a task as written with its own AUs in `aus` ("AU14 AU23"; empty for the others).
struct task_plan_row {
  std::string task;
  time_window window;
  std::string aus;
};

/// The plan's rows: the rest first, then the tasks in order. A standard movement measured on
/// AUs of its own keeps them.
[[nodiscard]] std::vector<task_plan_row> task_plan_rows(const task_plan& plan);

/// The plan as a CSV (header task,start_s,end_s,aus; task_plan_rows(); times in the fewest
/// digits that read back exactly) that parse_task_plan() reads back to the same plan.
[[nodiscard]] std::string format_task_plan(const task_plan& plan);

enum class task_au_role { primary, secondary, other };

struct task_au {
  std::string au;  // "AU12_r"
  task_au_role role = task_au_role::other;
  side_stats left, right;
  symmetry_ratio symmetry;
};

struct task_summary {
  task_window task;
  int64_t frames = 0;  // rows in the window
  int64_t left_faces = 0, right_faces = 0;
  double left_confidence = 0, right_confidence = 0;  // mean over the window's frames with a face
  double left_excursion = 0, right_excursion = 0;    // sums over the primary AUs
  symmetry_ratio symmetry;                           // of those sums
  /// The window's row, both faces found, where the primary AUs of both sides sum highest (the
  /// movement at its fullest; ties: the earliest); -1 when no row has both faces.
  int64_t peak_row = -1;
  /// Every AU intensity of the CSVs: the task's primary and secondary AUs in the plan's order,
  /// then the others in the CSVs' order. A task AU the CSVs lack is left out.
  std::vector<task_au> aus;
};

/// Each task's statistics on the two mirrored faces' series (same rows). A side without a face
/// in the rest window takes its baseline from all its frames with a face; a side without a
/// face in the task's window has no ratio (engagement::side_without_face).
/// The tasks' rest window: the plan's rest row, else baseline_window() of the recording.
[[nodiscard]] time_window rest_window(const task_plan& plan, const std::vector<double>& timestamp_s,
                                      const asymmetry_thresholds& thresholds);

[[nodiscard]] std::vector<task_summary> summarise_tasks(const task_plan& plan,
                                                        const au_series& left,
                                                        const au_series& right,
                                                        const asymmetry_thresholds& thresholds);

/// The same for one face (an aus job's whole face): its numbers are in the `left` fields
/// (left_faces, left_excursion, task_au::left, as au_summary holds a one-face video's); the
/// right fields and the symmetry ratios are unused. peak_row is where its primary AUs sum
/// highest.
[[nodiscard]] std::vector<task_summary> summarise_tasks(const task_plan& plan,
                                                        const au_series& face,
                                                        const asymmetry_thresholds& thresholds);

/// The middle one of the rest window's rows where both faces were found (the rest window as
/// summarise_tasks takes it); -1 when there is none.
[[nodiscard]] int64_t rest_row(const task_plan& plan, const au_series& left, const au_series& right,
                               const asymmetry_thresholds& thresholds);

}  // namespace facemirror

#pragma once
// Internal to the report module: the HTML of a video's page (report_html.cpp), and the pieces
// of it (page head, number format) that the folder's index in report.cpp shares.

#include <string>
#include <vector>

#include "facemirror/report/asymmetry.h"
#include "facemirror/report/report.h"
#include "facemirror/report/svg_chart.h"

#include "report/report_model.h"

namespace facemirror::detail {

/// The pages' colours of the patient's left and right sides (blue and red, as S3's dashboard).
inline constexpr const char* left_colour = "#1f5fbf";
inline constexpr const char* right_colour = "#c8321e";
/// A one-face video's colour (an aus job's whole face).
inline constexpr const char* face_colour = "#333333";

/// FACS name and face region of an OpenFace AU ("AU12" -> "Lip corner puller", "smile").
struct au_info {
  const char* name;
  const char* region;
};
[[nodiscard]] au_info describe_au(const std::string& au);

/// The regions in report order (brow, eye, mid-face and smile, lower face).
[[nodiscard]] const std::vector<std::string>& report_regions();

/// Whether `faces` of `frames` falls below the share a face must be found in
/// (report_options::min_face_share); no frame at all is too few.
[[nodiscard]] bool few_faces(int64_t faces, int64_t frames, double min_share);

/// Where the recording's last frame ends: its time plus one frame (the mean step between the
/// first and last); a single frame's time; 0 for none. A 288-frame video at 15 frames/s: 19.2 s.
[[nodiscard]] double recording_end_s(const au_series& face);

/// The share (0..1) of a mirrored video's frames with a face whose source head yaw is S1's
/// "poor" (|yaw| > 5 degrees, classify_yaw); nullopt for one face, without a head-pose file,
/// or without a frame with a face.
[[nodiscard]] std::optional<double> turned_share(const video_report& r);

/// The rest the summary's baselines come from: the task plan's rest row where it has one,
/// else the first second (report_model.cpp), as the tasks use.
[[nodiscard]] time_window summary_rest_window(const video_report& r, const report_options& options);

/// Whether the whole recording lies within `rest` (shorter than its rest window): its
/// excursions are then spread within it, not movement against rest.
[[nodiscard]] bool within_rest_window(const video_report& r, const time_window& rest);

/// A time window as the pages write it: "4.5&ndash;9.5 s".
[[nodiscard]] std::string window_text(const time_window& window);

/// A warning paragraph where a side of `r` has no face in `rest` (its baselines are then the
/// whole recording's median, asymmetry.h: not a resting face, and its excursions E, with the
/// SRs built on them, understate its movement); "" when every side has one there. `whose`
/// names the numbers it concerns ("the summary's", "the tasks'").
[[nodiscard]] std::string rest_without_face_warning(const video_report& r, const time_window& rest,
                                                    const std::string& whose);

/// `v` with `decimals` decimals ("%.*f"), for the pages and the CSVs.
[[nodiscard]] std::string num(double v, int decimals = 2);

/// An excursion E for the pages: two decimals, more (up to four) where two would put it on the
/// other side of the activation gate or the weaker side's minimum (0.496 printed "0.50" beside
/// "not engaged", whose definition says "below 0.50").
[[nodiscard]] std::string excursion_text(double e, const asymmetry_thresholds& thresholds);

/// The start of a page: doctype, the content policy, `title` and the style sheet, up to <body>.
[[nodiscard]] std::string page_head(const std::string& title);

/// One still: the right- then the left-mirrored face (embedded JPEGs) at `row` (0-based),
/// captioned "<label>: right | left — frame <row + 1>, <time_s> s" (no label: from "right").
[[nodiscard]] std::string still_figure(int64_t row, double time_s, const std::string& right_jpeg,
                                       const std::string& left_jpeg, const std::string& label);

/// A symmetry ratio's two table cells, SR and weaker side: the gate's states in words, SR
/// below 0.9 in bold, the weaker side with its "% weaker".
[[nodiscard]] std::string symmetry_cells(const symmetry_ratio& symmetry);

/// The page's task section (tasks_html.cpp): each task's symmetry, its AUs, the other AUs of its
/// own face region and those of other regions that rose with it, and the windows' face
/// tracking. "" without a task plan.
[[nodiscard]] std::string tasks_section(const video_report& r, const report_options& options);

/// One video's row of the folder's asymmetry overview: its AU summary (kept alive by the
/// caller), and whether its page is there to link to.
struct overview_row {
  std::string stem;
  const std::vector<au_summary>* summary = nullptr;
  bool linked = false;
};

/// The index's heatmap of mirrored videos against AU intensities (overview_html.cpp): each cell
/// the SR, tinted by weaker_side_tint, grey where not engaged. "" when no video has an AU
/// intensity.
[[nodiscard]] std::string asymmetry_overview(const std::vector<overview_row>& videos);

/// One video's tasks in the folder's task overview (kept alive by the caller).
struct task_overview_row {
  std::string stem;
  const std::vector<task_summary>* tasks = nullptr;
  bool linked = false;
};

/// The index's table of every task of the videos with a task plan (overview_html.cpp): its SR
/// tinted as in asymmetry_overview, linking the task on its page. "" when no video has a task.
[[nodiscard]] std::string task_overview(const std::vector<task_overview_row>& videos);
/// The same for one-face videos (aus jobs): each task's summed excursion of its primary AUs.
[[nodiscard]] std::string face_task_overview(const std::vector<task_overview_row>& videos);

/// A cell's background: white at SR 1 (or no weaker side), towards the weaker side's colour of
/// the pages (left blue, right red) as SR falls, 70% of it at SR 0. "#rrggbb".
[[nodiscard]] std::string weaker_side_tint(const symmetry_ratio& symmetry);

/// A video's whole <stem>_report.html.
[[nodiscard]] std::string video_page(const video_report& r, const report_options& options,
                                     const model_checksums& models);

}  // namespace facemirror::detail

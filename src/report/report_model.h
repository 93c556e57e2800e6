#pragma once
// Internal to the report module: a video's outputs read back into a video_report, the model
// checksums and the stills (report_model.cpp), for report_html.cpp to render and report.cpp to
// write.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "facemirror/report/au_series.h"
#include "facemirror/report/report.h"
#include "facemirror/report/tasks.h"

namespace facemirror::detail {

/// Each side's resting level of an AU intensity (the summary's baselines), by AU name.
using rest_levels = std::map<std::string, std::pair<double, double>>;  // {left, right}

/// Frames (row indices) of strongest asymmetry in movement: the sum over AU intensities of
/// |(R - rest_R) - (L - rest_L)| on rows where both faces were found (an AU without rest
/// levels rests at 0), the `count` largest at least `min_gap_s` apart, in time order. A
/// difference the face holds at rest does not choose them.
[[nodiscard]] std::vector<int64_t> strongest_asymmetry_frames(const au_series& left,
                                                              const au_series& right, int count,
                                                              double min_gap_s,
                                                              const rest_levels& rest = {});

/// Standard base64 (RFC 4648) of `bytes`.
[[nodiscard]] std::string base64(const std::string& bytes);

// ---- head pose of the source face (the debug video's banner) -------------------------------

struct yaw_track {
  std::vector<double> yaw_deg;  // frames with a face
  int64_t frames = 0;
  int64_t no_face = 0;
  // Every frame, for the chart of yaw over time: its time, |yaw| (0 without a face) and
  // whether it had a face.
  std::vector<double> time_s, abs_yaw_deg;
  std::vector<bool> face;
};

// ---- provenance ----------------------------------------------------------------------------

struct model_checksums {
  std::string root;
  std::string error;    // when the folder could not be read
  std::string listing;  // "sha256  ./relative/path" lines, sha256sum's format
  std::string digest;   // SHA-256 of the listing
  size_t files = 0;
};

/// The SHA-256 of every file of the models folder (`dir`, or the default one); a folder that
/// cannot be read is reported in `error`, not thrown.
[[nodiscard]] model_checksums checksum_models(const std::optional<std::filesystem::path>& dir);

// ---- stills --------------------------------------------------------------------------------

/// The rows `frames` of `video` (a mirrored video, or a photograph's mirrored image) as
/// embedded JPEG data URIs, scaled to `height` pixels, in the order of `frames`.
[[nodiscard]] std::vector<std::string> frames_as_jpeg(const std::filesystem::path& video,
                                                      const std::vector<int64_t>& frames,
                                                      int height);

// ---- the per-video model -------------------------------------------------------------------

struct video_report {
  report_video video;
  au_series left;   // the single face for a one-face video
  au_series right;  // empty for a one-face video
  std::vector<au_summary> summary;
  yaw_track yaw;
  bool have_yaw = false;
  std::string yaw_note;
  std::optional<task_plan> plan;  // the video's <stem>_tasks.csv, when it has one
  // Why the video's task plan could not be used (its file, line and reason), when it has one
  // that cannot: the page is written without the task section, which says so.
  std::string plan_error;
  std::vector<task_summary> tasks;  // per task of the plan (one face: tasks.h)
  int64_t rest_row = -1;            // the plan's rest still (tasks.h rest_row)
  // How its AU files were made (report_options::recorded; a face of a CSV of several by the
  // CSV's stem), looked up once for its page and the index; nullopt when not known.
  std::optional<analysis_record> record;
};

/// Reads the video's CSVs (and head pose) and computes its summary; throws naming the file when
/// one is unreadable or malformed.
[[nodiscard]] video_report analyse(const report_video& video, const report_options& options);

/// The rows `frames` of both mirrored videos as frames_as_jpeg() gives them, or in `missing`
/// (empty when they were read) why there are none: the videos are not in the folder, or one
/// cannot be read. The numbers come from the CSVs, so such a video costs a page its stills only.
struct mirrored_stills {
  std::vector<std::string> right, left;
  std::string missing;  // "The mirrored videos are not in the folder", or a reading error
};
[[nodiscard]] mirrored_stills mirrored_frames_as_jpeg(const video_report& r,
                                                      const std::vector<int64_t>& frames,
                                                      int height);

}  // namespace facemirror::detail

#pragma once
// OpenFace 2.2 FeatureExtraction's CSV layout for the columns facemirror produces.
//
// WHAT THIS REPRESENTS
//   The text of one output CSV: OpenFace's column names, order, separator (", ") and
//   per-column precision, 1-based frame numbers, "." decimals whatever the process locale.
//   Columns, in OpenFace's order, each group present when its output is selected
//   (csv_outputs; all by default, giving OpenFace's 714 columns): frame, face_id, timestamp,
//   confidence, success, then gaze_0_*, gaze_1_*, gaze_angle_*, eye_lmk_x/y_*,
//   eye_lmk_X/Y/Z_* (gaze), pose_T*/pose_R* (pose), x_*, y_* (2Dfp), X_*, Y_*, Z_* (3Dfp),
//   p_scale..p_ty, p_* (pdmparams), AU*_r and AU*_c (aus, when AU names are given).
//
// THREAD SAFETY
//   Pure functions of their arguments.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "facemirror/gaze/gaze.h"
#include "facemirror/landmarks/pdm.h"
#include "facemirror/types.h"

namespace facemirror {

/// Everything written on one CSV row.
struct frame_record {
  int64_t index = 0;  // 0-based frame, written 1-based; in a still image's CSV the face, as is
  int face_id = 0;    // the face's tracker slot (multi_face_video layout); 0 for a single face
  double timestamp_s = 0.0;
  double confidence = 0.0;
  bool success = false;
  head_pose pose;
  landmarks_2d landmarks{};
  landmarks_3d landmarks_mm{};  // camera space, millimetres
  pdm_params params;
  eye_observation eyes{};            // eye landmarks and gaze (zeros where there is no fit)
  std::vector<double> au_intensity;  // empty when AUs are not computed
  std::vector<double> au_presence;
};

/// OpenFace's output selectors: which column groups a CSV holds. OpenFace's
/// FeatureExtraction flags map one to one; giving none of them means all, as there.
struct csv_outputs {
  bool gaze = true;          // -gaze: gaze_*, eye_lmk_* (2-D and 3-D)
  bool pose = true;          // -pose: pose_T*, pose_R*
  bool landmarks_2d = true;  // -2Dfp: x_*, y_*
  bool landmarks_3d = true;  // -3Dfp: X_*, Y_*, Z_*
  bool pdm_params = true;    // -pdmparams: p_scale..p_ty, p_*
  bool aus = true;           // -aus: AU*_r, AU*_c

  /// Just the groups named in a comma-separated list of OpenFace's flag names without the
  /// dash ("2Dfp,3Dfp,pdmparams,pose,aus,gaze", any order; "all" selects every group, "none"
  /// no group: the CSV keeps only its identifying columns, as OpenFace's with -hogalign alone).
  /// Throws facemirror::error(invalid_argument) naming an unknown or empty item.
  [[nodiscard]] static csv_outputs parse(std::string_view list);
  /// The list parse() reads back, in OpenFace's column order.
  [[nodiscard]] std::string to_string() const;
  [[nodiscard]] bool operator==(const csv_outputs& o) const;
};

/// Whose layout: FeatureExtraction's (one row per frame: frame, face_id, timestamp,
/// confidence, success, ...), FaceLandmarkImg's for a still image (one row per face: face,
/// confidence with three decimals, ...; every field separated by ", "; presences "1.0") or
/// FaceLandmarkVidMulti's (one row per tracked face and frame: FeatureExtraction's columns with
/// frame_record::face_id, every field separated by ", ", presences "1.0").
enum class csv_layout { video, still_image, multi_face_video };

struct csv_columns {
  csv_layout layout = csv_layout::video;
  csv_outputs outputs;
  int mode_count = 34;                          // number of p_i columns
  std::vector<std::string> au_intensity_names;  // e.g. "AU01" -> column "AU01_r"
  std::vector<std::string> au_presence_names;   // e.g. "AU28" -> column "AU28_c"
};

/// The header line, with its trailing newline.
[[nodiscard]] std::string csv_header(const csv_columns& columns);

/// Appends one row (with its trailing newline) to `out`.
void append_csv_row(std::string& out, const frame_record& record, const csv_columns& columns);

/// Appends only the AU fields of a row (no newline), for writers that format the rest of the row
/// before the AU values are known.
void append_au_columns(std::string& out, const frame_record& record, const csv_columns& columns);

}  // namespace facemirror

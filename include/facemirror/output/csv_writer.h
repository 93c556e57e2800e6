#pragma once
// OpenFace 2.2 FeatureExtraction's CSV layout for the columns facemirror produces.
//
// WHAT THIS REPRESENTS
//   The text of one output CSV: OpenFace's column names, order, separator (", ") and
//   per-column precision, 1-based frame numbers, "." decimals whatever the process locale.
//   Columns (a subset of OpenFace's, same relative order): frame, face_id, timestamp,
//   confidence, success, pose_T*/pose_R*, x_*, y_*, X_*, Y_*, Z_*, p_scale..p_ty, p_*,
//   then AU*_r and AU*_c when AUs were computed.
//
// THREAD SAFETY
//   Pure functions of their arguments.

#include <cstdint>
#include <string>
#include <vector>

#include "facemirror/landmarks/pdm.h"
#include "facemirror/types.h"

namespace facemirror {

/// Everything written on one CSV row.
struct frame_record {
  int64_t index = 0;  // 0-based; written 1-based
  double timestamp_s = 0.0;
  double confidence = 0.0;
  bool success = false;
  head_pose pose;
  landmarks_2d landmarks{};
  landmarks_3d landmarks_mm{};  // camera space, millimetres
  pdm_params params;
  std::vector<double> au_intensity;  // empty when AUs are not computed
  std::vector<double> au_presence;
};

struct csv_columns {
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

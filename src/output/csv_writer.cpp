#include "facemirror/output/csv_writer.h"

#include <charconv>
#include <cmath>
#include <utility>

#include "facemirror/error.h"

namespace facemirror {
namespace {

constexpr const char* separator = ", ";
// OpenFace 2.2 writes every field with ", ". FeatureExtraction with AU columns then rewrites
// the file after its AU post-processing: each row split at its commas, the fields put back
// with ", " before the space each kept (two spaces), the AU block written anew (one). Its CSV
// without AUs is never rewritten. We write what each gives, so files diff cleanly.
constexpr const char* frame_separator = ",  ";

// std::to_chars never consults the locale, so a German or French LC_NUMERIC cannot turn the
// decimal point into a comma.
void append_fixed(std::string& out, double value, int decimals, const char* sep) {
  char buffer[64];
  if (!std::isfinite(value))
    value = 0.0;
  auto result =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed, decimals);
  FACEMIRROR_CHECK(result.ec == std::errc(), "number does not fit the CSV field");
  out.append(sep).append(buffer, result.ptr);
}

void append_integer(std::string& out, int64_t value, const char* sep) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (sep != nullptr)
    out.append(sep);
  out.append(buffer, result.ptr);
}

void append_names(std::string& out, const char* prefix, int count) {
  for (int i = 0; i < count; ++i)
    out.append(separator).append(prefix).append(std::to_string(i));
}

}  // namespace

csv_outputs csv_outputs::parse(std::string_view list) {
  csv_outputs none{false, false, false, false, false, false};
  csv_outputs out = none;
  size_t begin = 0;
  while (true) {
    const size_t comma = list.find(',', begin);
    const std::string_view item = list.substr(
        begin, comma == std::string_view::npos ? std::string_view::npos : comma - begin);
    if (item == "gaze") {
      out.gaze = true;
    } else if (item == "pose") {
      out.pose = true;
    } else if (item == "2Dfp") {
      out.landmarks_2d = true;
    } else if (item == "3Dfp") {
      out.landmarks_3d = true;
    } else if (item == "pdmparams") {
      out.pdm_params = true;
    } else if (item == "aus") {
      out.aus = true;
    } else if (item == "all") {
      out = csv_outputs{};
    } else if (item == "none") {
      // OpenFace's CSV when only -hogalign/-simalign select outputs: the identifying columns.
      out = none;
    } else {
      throw error(error_code::invalid_argument,
                  "unknown output '" + std::string(item) +
                      "' (expected a comma-separated list of 2Dfp, 3Dfp, pdmparams, pose, aus, "
                      "gaze, all or none)");
    }
    if (comma == std::string_view::npos)
      break;
    begin = comma + 1;
  }
  return out;
}

std::string csv_outputs::to_string() const {
  std::string out;
  const std::pair<bool, const char*> groups[] = {{gaze, "gaze"},
                                                 {pose, "pose"},
                                                 {landmarks_2d, "2Dfp"},
                                                 {landmarks_3d, "3Dfp"},
                                                 {pdm_params, "pdmparams"},
                                                 {aus, "aus"}};
  for (const auto& [on, name] : groups) {
    if (on)
      out.append(out.empty() ? "" : ",").append(name);
  }
  return out.empty() ? "none" : out;
}

bool csv_outputs::operator==(const csv_outputs& o) const {
  return gaze == o.gaze && pose == o.pose && landmarks_2d == o.landmarks_2d &&
         landmarks_3d == o.landmarks_3d && pdm_params == o.pdm_params && aus == o.aus;
}

std::string csv_header(const csv_columns& columns) {
  const csv_outputs& on = columns.outputs;
  std::string out = columns.layout == csv_layout::still_image
                        ? "face, confidence"
                        : "frame, face_id, timestamp, confidence, success";
  if (on.gaze) {
    for (const char* name : {"gaze_0_x", "gaze_0_y", "gaze_0_z", "gaze_1_x", "gaze_1_y", "gaze_1_z",
                             "gaze_angle_x", "gaze_angle_y"}) {
      out.append(separator).append(name);
    }
    for (const char* prefix :
         {"eye_lmk_x_", "eye_lmk_y_", "eye_lmk_X_", "eye_lmk_Y_", "eye_lmk_Z_"})
      append_names(out, prefix, eye_landmark_count);
  }
  if (on.pose) {
    for (const char* name : {"pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"})
      out.append(separator).append(name);
  }
  if (on.landmarks_2d) {
    for (const char* prefix : {"x_", "y_"})
      append_names(out, prefix, landmark_count);
  }
  if (on.landmarks_3d) {
    for (const char* prefix : {"X_", "Y_", "Z_"})
      append_names(out, prefix, landmark_count);
  }
  if (on.pdm_params) {
    for (const char* name : {"p_scale", "p_rx", "p_ry", "p_rz", "p_tx", "p_ty"})
      out.append(separator).append(name);
    append_names(out, "p_", columns.mode_count);
  }
  if (on.aus) {
    for (const auto& name : columns.au_intensity_names)
      out.append(separator).append(name + "_r");
    for (const auto& name : columns.au_presence_names)
      out.append(separator).append(name + "_c");
  }
  out.push_back('\n');
  return out;
}

// Precisions are OpenFace 2.2's: 6 for gaze vectors, 3 for time, gaze angles and rigid params,
// 2 for confidence and AUs, 1 for pixel and millimetre coordinates.
void append_csv_row(std::string& out, const frame_record& r, const csv_columns& columns) {
  FACEMIRROR_CHECK(static_cast<int>(r.params.local.size()) == columns.mode_count || !r.success ||
                       !columns.outputs.pdm_params,
                   "frame record has the wrong number of PDM modes");
  const csv_outputs& on = columns.outputs;
  const bool still = columns.layout == csv_layout::still_image;
  // FaceLandmarkImg and FaceLandmarkVidMulti separate every field with ", "; FeatureExtraction
  // its per-frame ones with ",  " when its AU post-processing rewrote the file (see above).
  const char* sep = columns.layout == csv_layout::video && on.aus ? frame_separator : separator;
  if (still) {
    append_integer(out, r.index, nullptr);  // face: 0-based, the analyser's order
    append_fixed(out, r.confidence, 3, sep);
  } else {
    append_integer(out, r.index + 1, nullptr);
    append_integer(out, r.face_id, sep);  // 0 in FeatureExtraction's, which follows a single face
    append_fixed(out, r.timestamp_s, 3, sep);
    append_fixed(out, r.confidence, 2, sep);
    append_integer(out, r.success ? 1 : 0, sep);
  }
  if (on.gaze) {
    const gaze_estimate& g = r.eyes.gaze;
    for (double v : {g.eye_0.x, g.eye_0.y, g.eye_0.z, g.eye_1.x, g.eye_1.y, g.eye_1.z})
      append_fixed(out, v, 6, sep);
    append_fixed(out, g.angle_x, 3, sep);
    append_fixed(out, g.angle_y, 3, sep);
    for (const auto& pt : r.eyes.landmarks)
      append_fixed(out, pt.x, 1, sep);
    for (const auto& pt : r.eyes.landmarks)
      append_fixed(out, pt.y, 1, sep);
    for (const auto& pt : r.eyes.landmarks_mm)
      append_fixed(out, pt.x, 1, sep);
    for (const auto& pt : r.eyes.landmarks_mm)
      append_fixed(out, pt.y, 1, sep);
    for (const auto& pt : r.eyes.landmarks_mm)
      append_fixed(out, pt.z, 1, sep);
  }
  if (on.pose) {
    const head_pose& p = r.pose;
    for (double v : {p.tx, p.ty, p.tz})
      append_fixed(out, v, 1, sep);
    for (double v : {p.rx, p.ry, p.rz})
      append_fixed(out, v, 3, sep);
  }
  if (on.landmarks_2d) {
    for (const auto& pt : r.landmarks)
      append_fixed(out, pt.x, 1, sep);
    for (const auto& pt : r.landmarks)
      append_fixed(out, pt.y, 1, sep);
  }
  if (on.landmarks_3d) {
    for (const auto& pt : r.landmarks_mm)
      append_fixed(out, pt.x, 1, sep);
    for (const auto& pt : r.landmarks_mm)
      append_fixed(out, pt.y, 1, sep);
    for (const auto& pt : r.landmarks_mm)
      append_fixed(out, pt.z, 1, sep);
  }
  if (on.pdm_params) {
    const pdm_params& q = r.params;
    for (double v : {q.scale, q.rx, q.ry, q.rz, q.tx, q.ty})
      append_fixed(out, v, 3, sep);
    for (int i = 0; i < columns.mode_count; ++i)
      append_fixed(out, i < static_cast<int>(q.local.size()) ? q.local[i] : 0.0, 3, sep);
  }
  append_au_columns(out, r, columns);
  out.push_back('\n');
}

void append_au_columns(std::string& out, const frame_record& r, const csv_columns& columns) {
  if (!columns.outputs.aus)
    return;
  FACEMIRROR_CHECK(r.au_intensity.size() == columns.au_intensity_names.size() &&
                       r.au_presence.size() == columns.au_presence_names.size(),
                   "frame record has the wrong number of AU values");
  for (double v : r.au_intensity)
    append_fixed(out, v, 2, separator);
  // FaceLandmarkImg and FaceLandmarkVidMulti print presences with one decimal ("1.0"),
  // FeatureExtraction with two.
  const int presence_decimals = columns.layout == csv_layout::video ? 2 : 1;
  for (double v : r.au_presence)
    append_fixed(out, v, presence_decimals, separator);
}

}  // namespace facemirror

#include "facemirror/output/csv_writer.h"

#include <charconv>
#include <cmath>

#include "facemirror/error.h"

namespace facemirror {
namespace {

constexpr const char* separator = ", ";
// OpenFace 2.2 writes its per-frame fields with two spaces after the comma and only the AU
// block (rewritten after post-processing) with one; we keep both so files diff cleanly.
constexpr const char* frame_separator = ",  ";

// std::to_chars never consults the locale, so a German or French LC_NUMERIC cannot turn the
// decimal point into a comma.
void append_fixed(std::string& out, double value, int decimals, const char* sep = frame_separator) {
  char buffer[64];
  if (!std::isfinite(value))
    value = 0.0;
  auto result =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed, decimals);
  FACEMIRROR_CHECK(result.ec == std::errc(), "number does not fit the CSV field");
  out.append(sep).append(buffer, result.ptr);
}

void append_integer(std::string& out, int64_t value, bool first = false) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (!first)
    out.append(frame_separator);
  out.append(buffer, result.ptr);
}

void append_names(std::string& out, const char* prefix, int count) {
  for (int i = 0; i < count; ++i)
    out.append(separator).append(prefix).append(std::to_string(i));
}

}  // namespace

std::string csv_header(const csv_columns& columns) {
  std::string out = "frame, face_id, timestamp, confidence, success";
  for (const char* name : {"pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"}) {
    out.append(separator).append(name);
  }
  for (const char* prefix : {"x_", "y_", "X_", "Y_", "Z_"})
    append_names(out, prefix, landmark_count);
  for (const char* name : {"p_scale", "p_rx", "p_ry", "p_rz", "p_tx", "p_ty"}) {
    out.append(separator).append(name);
  }
  append_names(out, "p_", columns.mode_count);
  for (const auto& name : columns.au_intensity_names)
    out.append(separator).append(name + "_r");
  for (const auto& name : columns.au_presence_names)
    out.append(separator).append(name + "_c");
  out.push_back('\n');
  return out;
}

// Precisions are OpenFace 2.2's: 3 for time and rigid params, 2 for confidence and AUs, 1 for
// pixel and millimetre coordinates.
void append_csv_row(std::string& out, const frame_record& r, const csv_columns& columns) {
  FACEMIRROR_CHECK(static_cast<int>(r.params.local.size()) == columns.mode_count || !r.success,
                   "frame record has the wrong number of PDM modes");
  append_integer(out, r.index + 1, /*first=*/true);
  append_integer(out, 0);  // face_id: FeatureExtraction follows a single face
  append_fixed(out, r.timestamp_s, 3);
  append_fixed(out, r.confidence, 2);
  append_integer(out, r.success ? 1 : 0);
  const head_pose& p = r.pose;
  for (double v : {p.tx, p.ty, p.tz})
    append_fixed(out, v, 1);
  for (double v : {p.rx, p.ry, p.rz})
    append_fixed(out, v, 3);
  for (const auto& pt : r.landmarks)
    append_fixed(out, pt.x, 1);
  for (const auto& pt : r.landmarks)
    append_fixed(out, pt.y, 1);
  for (const auto& pt : r.landmarks_mm)
    append_fixed(out, pt.x, 1);
  for (const auto& pt : r.landmarks_mm)
    append_fixed(out, pt.y, 1);
  for (const auto& pt : r.landmarks_mm)
    append_fixed(out, pt.z, 1);
  const pdm_params& q = r.params;
  for (double v : {q.scale, q.rx, q.ry, q.rz, q.tx, q.ty})
    append_fixed(out, v, 3);
  for (int i = 0; i < columns.mode_count; ++i) {
    append_fixed(out, i < static_cast<int>(q.local.size()) ? q.local[i] : 0.0, 3);
  }
  append_au_columns(out, r, columns);
  out.push_back('\n');
}

void append_au_columns(std::string& out, const frame_record& r, const csv_columns& columns) {
  FACEMIRROR_CHECK(r.au_intensity.size() == columns.au_intensity_names.size() &&
                       r.au_presence.size() == columns.au_presence_names.size(),
                   "frame record has the wrong number of AU values");
  for (double v : r.au_intensity)
    append_fixed(out, v, 2, separator);
  for (double v : r.au_presence)
    append_fixed(out, v, 2, separator);
}

}  // namespace facemirror

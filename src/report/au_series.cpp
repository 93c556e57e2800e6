#include "facemirror/report/au_series.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <sstream>

#include "facemirror/error.h"
#include "facemirror/mirror/mirror.h"

#include "core/file_bytes.h"
#include "report/csv_fields.h"

namespace facemirror {
namespace {

using detail::split_fields;
using detail::trim;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The column that tells the faces of a CSV apart: `face_id` (a video's tracker), else a still
// image's `face` (FaceLandmarkImg: its place among the image's faces, no time); -1 when none.
int face_column(const std::vector<std::string>& header) {
  const auto named = [&](const char* name) {
    const auto at = std::find(header.begin(), header.end(), name);
    return at == header.end() ? -1 : static_cast<int>(at - header.begin());
  };
  if (named("face_id") >= 0)
    return named("face_id");
  return named("timestamp") < 0 && named("success") < 0 ? named("face") : -1;
}

}  // namespace

int64_t au_series::frames_with_face() const {
  int64_t n = 0;
  for (const bool s : success)
    n += s ? 1 : 0;
  return n;
}

double au_series::mean_confidence() const {
  double sum = 0;
  int64_t n = 0;
  for (size_t i = 0; i < success.size() && i < confidence.size(); ++i) {
    if (success[i]) {
      sum += confidence[i];
      ++n;
    }
  }
  return n ? sum / static_cast<double>(n) : 0.0;
}

const au_column* au_series::find(const std::string& name) const {
  for (const auto& column : aus) {
    if (column.name == name)
      return &column;
  }
  return nullptr;
}

au_series parse_au_series(const std::string& text, const std::filesystem::path& source,
                          std::optional<int> face_id) {
  const std::string where = "'" + source.string() + "'";
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line))
    throw error(error_code::invalid_argument, where + ": empty file, not an OpenFace CSV");
  const std::vector<std::string> header = split_fields(line);
  int timestamp = -1, success = -1, confidence = -1, yaw = -1, face = -1, tx = -1, tz = -1;
  const int face_of_row = face_column(header);
  std::vector<int> intensity_columns, presence_columns;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string& name = header[i];
    const int index = static_cast<int>(i);
    if (name == "timestamp")
      timestamp = index;
    else if (name == "success")
      success = index;
    else if (name == "confidence")
      confidence = index;
    else if (name == "face")
      face = index;
    else if (name == "pose_Ry")
      yaw = index;
    else if (name == "pose_Tx")
      tx = index;
    else if (name == "pose_Tz")
      tz = index;
    else if (name.rfind("AU", 0) == 0 && ends_with(name, "_r"))
      intensity_columns.push_back(index);
    else if (name.rfind("AU", 0) == 0 && ends_with(name, "_c"))
      presence_columns.push_back(index);
  }
  // FaceLandmarkImg's layout (a still image: one row per face found, no time, no success
  // column because every listed face was fitted) reads as a series of instants at time 0.
  const bool still_image = face >= 0 && timestamp < 0 && success < 0;
  if (!still_image && (timestamp < 0 || success < 0))
    throw error(error_code::invalid_argument,
                where + ": no 'timestamp' or 'success' column, not an OpenFace CSV");
  if (intensity_columns.empty() && presence_columns.empty())
    throw error(error_code::invalid_argument,
                where + ": no AU columns (was it written with --no-aus?)");

  au_series series;
  series.source = source;
  series.still_image = still_image;
  std::vector<int> columns = intensity_columns;
  columns.insert(columns.end(), presence_columns.begin(), presence_columns.end());
  for (const int c : columns)
    series.aus.push_back(
        {header[static_cast<size_t>(c)], ends_with(header[static_cast<size_t>(c)], "_r"), {}});

  int64_t line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (trim(line).empty())
      continue;
    const std::vector<std::string> fields = split_fields(line);
    if (fields.size() != header.size()) {
      throw error(error_code::invalid_argument, where + ": line " + std::to_string(line_number) +
                                                    " has " + std::to_string(fields.size()) +
                                                    " fields, the header " +
                                                    std::to_string(header.size()));
    }
    const auto number = [&](int column) {
      const std::string& field = fields[static_cast<size_t>(column)];
      const std::optional<double> value = detail::parse_number(field);
      if (!value) {
        throw error(error_code::invalid_argument,
                    where + ": line " + std::to_string(line_number) + ", column '" +
                        header[static_cast<size_t>(column)] + "': '" + field + "' is not a number");
      }
      return *value;
    };
    if (face_id && face_of_row >= 0 && number(face_of_row) != *face_id)
      continue;  // another face's row
    series.timestamp_s.push_back(still_image ? 0.0 : number(timestamp));
    series.success.push_back(still_image || number(success) != 0);
    series.confidence.push_back(confidence >= 0 ? number(confidence) : 0.0);
    if (yaw >= 0) {
      // The yaw the mirror job's banner shows: from the line of sight to the head, where the
      // file has the head's position (mirror.h mirroring_yaw_deg).
      head_pose pose;
      pose.ry = number(yaw);
      pose.tz = 1.0;
      if (tx >= 0 && tz >= 0) {
        pose.tx = number(tx);
        pose.tz = number(tz);
      }
      series.yaw_rad.push_back(mirroring_yaw_deg(pose) * 3.14159265358979323846 / 180.0);
    }
    for (size_t a = 0; a < columns.size(); ++a)
      series.aus[a].values.push_back(number(columns[a]));
  }
  if (still_image && series.rows() == 0) {  // the image's one instant, without a face
    series.timestamp_s.push_back(0.0);
    series.success.push_back(false);
    series.confidence.push_back(0.0);
    if (yaw >= 0)
      series.yaw_rad.push_back(0.0);
    for (au_column& column : series.aus)
      column.values.push_back(0.0);
  }
  return series;
}

au_series read_au_series(const std::filesystem::path& csv, std::optional<int> face_id) {
  const auto text = detail::read_file_bytes(csv);
  std::error_code ec;
  if (!text && !std::filesystem::exists(csv, ec))
    throw error(error_code::io, "'" + csv.string() + "' is missing (removed or not written)");
  if (!text)
    throw error(error_code::io,
                "cannot read '" + csv.string() + "': " + detail::unreadable_reason(csv));
  return parse_au_series(*text, csv, face_id);
}

std::vector<int> read_face_ids(const std::filesystem::path& csv) {
  const auto text = detail::read_file_bytes(csv);
  if (!text)
    throw error(error_code::io,
                "cannot read '" + csv.string() + "': " + detail::unreadable_reason(csv));
  std::istringstream in(*text);
  std::string line;
  if (!std::getline(in, line))
    return {};
  const int column = face_column(split_fields(line));
  if (column < 0)
    return {};
  const auto index = static_cast<size_t>(column);
  std::set<int> ids;
  while (std::getline(in, line)) {
    // Only the face column's field (the second of 714 in OpenFace's layout): a whole split per
    // row cost a folder's report 60% more time.
    size_t begin = 0;
    for (size_t skipped = 0; skipped < index && begin != std::string::npos; ++skipped) {
      begin = line.find(',', begin);
      begin = begin == std::string::npos ? begin : begin + 1;
    }
    if (begin == std::string::npos)
      continue;
    const std::optional<double> value =
        detail::parse_number(trim(line.substr(begin, line.find(',', begin) - begin)));
    if (value && *value == std::floor(*value) && std::abs(*value) < 1e9)
      ids.insert(static_cast<int>(*value));
  }
  return {ids.begin(), ids.end()};
}

}  // namespace facemirror

#pragma once
// One face's AUs over time, as read back from an OpenFace-2.2-layout CSV.
//
// WHAT THIS REPRESENTS
//   The columns the report needs from a CSV that `facemirror aus` or `facemirror mirror` wrote
//   (or OpenFace 2.2 FeatureExtraction): per row the frame's timestamp (seconds), success,
//   confidence, head yaw (pose_Ry less the line of sight, radians) and every AU*_r (intensity,
//   0..5) and AU*_c (presence, 0 or 1) column, in the file's column order. Rows stay in file order
//   (frame order). A still image's CSV (FaceLandmarkImg's layout: a `face` column, no timestamp or
//   success) reads as one row per listed face, each at time 0 and successful; one that lists none
//   (the header alone) as a single row without a face, as a video frame without one reads, so that
//   a photo's mirrored side whose face was not found pairs with the other side's row.
//   A CSV of several tracked faces (a face_id column with several values) can be read one face
//   at a time (read_au_series's face_id; the report does): its faces' rows interleave frame by
//   frame, so read as one series they would mix people.
//
// THREAD SAFETY
//   A value type. read_au_series() is pure (reads only its file).
//
// ERRORS
//   read_au_series() throws facemirror::error(io) when the file cannot be read, and
//   error(invalid_argument) naming the file and line when it is not in OpenFace's layout
//   (missing timestamp/success column, no AU columns, a row with the wrong field count or a
//   field that is not a number).

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace facemirror {

struct au_column {
  std::string name;            // "AU01_r", "AU28_c"
  bool intensity = true;       // _r (0..5) or _c (0/1)
  std::vector<double> values;  // one per row
};

struct au_series {
  std::filesystem::path source;
  std::vector<double> timestamp_s;
  std::vector<bool> success;
  std::vector<double> confidence;
  // The head's yaw as mirroring sees it (mirror.h mirroring_yaw_deg: pose_Ry less
  // atan2(pose_Tx, pose_Tz), pose_Ry alone without the position); empty without pose columns.
  std::vector<double> yaw_rad;
  std::vector<au_column> aus;  // intensities first, then presences, each in file order
  bool still_image = false;    // FaceLandmarkImg's layout: each row a face at time 0

  [[nodiscard]] size_t rows() const { return timestamp_s.size(); }
  [[nodiscard]] int64_t frames_with_face() const;
  /// Mean `confidence` over the rows with a face (the tracker's certainty, 0..1 in OpenFace's
  /// CSVs); 0 when no row has one.
  [[nodiscard]] double mean_confidence() const;
  /// The column called `name`, or nullptr.
  [[nodiscard]] const au_column* find(const std::string& name) const;
};

/// Reads an OpenFace-2.2-layout CSV (", " or "," separated). With `face_id`, only the rows of
/// that face: a CSV of several tracked faces (`aus --max-faces`, FaceLandmarkVidMulti) holds a
/// row per face and frame, its `face_id` the tracker; a still image's (FaceLandmarkImg) a row
/// per face, its `face` column the face. Without it, every row.
[[nodiscard]] au_series read_au_series(const std::filesystem::path& csv,
                                       std::optional<int> face_id = std::nullopt);

/// Parses CSV text; `source` names it in errors.
[[nodiscard]] au_series parse_au_series(const std::string& text,
                                        const std::filesystem::path& source,
                                        std::optional<int> face_id = std::nullopt);

/// The distinct `face_id` (a still image's: `face`) values of an AU CSV's rows, ascending; empty
/// when it has no such column or no row. A field that is not a whole number is left out
/// (parse_au_series() names it). Throws error(io) when the file cannot be read.
[[nodiscard]] std::vector<int> read_face_ids(const std::filesystem::path& csv);

}  // namespace facemirror

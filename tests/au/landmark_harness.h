#pragma once
// Landmark-fed AU validation: runs the AU engine on a video with the landmarks and success
// flags OpenFace 2.2 itself wrote to its reference CSV, so the AU stages are measured apart
// from face tracking.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "facemirror/au/au_engine.h"

namespace facemirror::test {

/// A CSV read into numeric columns by (trimmed) header name.
struct csv_table {
  std::vector<std::string> header;
  std::map<std::string, std::vector<double>> columns;
  [[nodiscard]] size_t rows() const { return columns.empty() ? 0 : columns.begin()->second.size(); }
  [[nodiscard]] const std::vector<double>& col(const std::string& name) const;
};
csv_table read_csv(const std::filesystem::path& file);

struct landmark_track {
  std::vector<int> frame;
  std::vector<uint8_t> success;
  std::vector<landmarks_2d> landmarks;
  std::vector<pdm_params> params;  // OpenFace's own p_* columns (tracker parameters)
};
landmark_track landmarks_from_reference(const csv_table& ref);

struct landmark_fed_result {
  std::vector<au_values> values;
  std::vector<uint8_t> success;
  std::vector<int> frame;
  double extract_ms = 0;  // mean per frame
  double predict_ms = 0;  // mean per frame (add_frame)
};

/// Decodes `video` with OpenCV and runs extractor + predictor on the reference landmarks.
/// `use_reference_params` skips the PDM re-fit and aligns with the CSV's p_* (diagnostics).
landmark_fed_result run_landmark_fed(const std::shared_ptr<const au_model_set>& models,
                                     const std::filesystem::path& video,
                                     const landmark_track& track, bool use_reference_params);

/// OpenFace-style CSV: frame, success, AU*_r, AU*_c, values with 2 decimals, ", " separated.
void write_au_csv(const std::filesystem::path& file, const au_model_set& models,
                  const landmark_fed_result& result);

struct fidelity {
  double mean_r = 0, min_r = 0, mae = 0, presence_agreement = 0;
  int aus_in_mean = 0;
  std::string worst_au;
  std::string detail;  // per-AU lines
};

/// au_compare.py's measures (frames where both succeed; AUs whose reference std < 0.05 left
/// out of mean/min r) plus the share of agreeing AU*_c cells. Values are rounded to 2
/// decimals first, as in a CSV.
fidelity compare_with_reference(const csv_table& ref, const au_model_set& models,
                                const landmark_fed_result& result);

}  // namespace facemirror::test

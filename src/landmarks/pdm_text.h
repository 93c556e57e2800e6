#pragma once
// OpenFace's PDM text files (model/pdms/*.txt and the part models' PDMs), which
// point_distribution_model::load reads through.

#include <filesystem>

#include <opencv2/core.hpp>

namespace facemirror::detail {

struct pdm_matrices {
  cv::Mat_<double> mean;         // 3n x 1: every x, then every y, then every z
  cv::Mat_<double> components;   // 3n x m principal components, rows as `mean`
  cv::Mat_<double> eigenvalues;  // 1 x m, all positive
};

// Reads the three matrices (OpenFace's text format: '#' comment lines, then rows, cols, OpenCV
// type code and the row-major values of each) and checks that they describe one model of some
// point count n and mode count m. Throws error(model_format) naming the file and the fault.
[[nodiscard]] pdm_matrices read_pdm_text(const std::filesystem::path& file);

}  // namespace facemirror::detail

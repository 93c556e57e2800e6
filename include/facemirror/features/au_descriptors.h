#pragma once
// The two per-frame descriptors OpenFace 2.2 feeds its AU models: Felzenszwalb HOG of the
// aligned face crop and PDM geometry.
//
// THREAD SAFETY
//   Pure functions of their arguments: call from any number of threads.

#include <vector>

#include <opencv2/core.hpp>

#include "facemirror/landmarks/pdm.h"

namespace facemirror {

inline constexpr int fhog_orientations = 31;

/// dlib's FHOG with `cell_size` on an 8-bit grey or BGR image, flattened as OpenFace does:
/// cell row, then cell column, then the 31 features. For a 112x112 crop and cell 8 that is
/// 12 x 12 x 31 = 4464 values (dlib drops the border cells).
[[nodiscard]] std::vector<float> extract_fhog(const cv::Mat& image, int cell_size = 8);

/// Number of FHOG values extract_fhog returns for a `size` x `size` image.
[[nodiscard]] int fhog_length(int size, int cell_size = 8);

/// OpenFace's geometry descriptor: V * local (3n values, no mean, grouped X/Y/Z) followed by
/// the local weights themselves: 204 + 34 = 238 for the 68-point model. An empty `local`
/// counts as all zeros (OpenFace's failed-frame descriptor).
[[nodiscard]] std::vector<double> geometry_descriptor(const point_distribution_model& pdm,
                                                      const std::vector<double>& local);

}  // namespace facemirror

#pragma once
// The similarity between two landmark shapes, as OpenFace's AlignShapesWithScale finds it: the
// CLNF fitter's image <-> reference frame and the AU pipeline's face alignment use this one
// function.
//
// THREAD SAFETY
//   Pure.

#include <vector>

#include <opencv2/core.hpp>

namespace facemirror {

/// The 2x2 scale-rotation that best maps `src` onto `dst` in the least-squares sense after
/// centring both: the ratio of their RMS spreads times the rotation (never a reflection) that
/// best aligns them (2-D Kabsch). `src` and `dst` hold the same number of points, at least one;
/// otherwise it throws error(internal).
[[nodiscard]] cv::Matx22d align_shapes_with_scale(const std::vector<cv::Point2d>& src,
                                                  const std::vector<cv::Point2d>& dst);

}  // namespace facemirror

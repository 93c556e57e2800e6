#pragma once
// Internal to the mirror module: the bilinear warp behind mirror_faces (reflect.cpp).
#include <opencv2/core.hpp>

namespace facemirror::detail {

// cv::warpAffine(bgr, out, to_src, bgr.size(), INTER_LINEAR | WARP_INVERSE_MAP,
// BORDER_REPLICATE) for 8-bit BGR images, bit for bit, about four times faster.
void warp_bgr_linear(const cv::Mat& bgr, const cv::Matx23d& to_src, cv::Mat& out);

}  // namespace facemirror::detail

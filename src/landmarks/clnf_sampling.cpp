// warp_linear: the bilinear affine sampling of cv::warpAffine (float images, INTER_LINEAR,
// WARP_INVERSE_MAP, constant zero border), for the small search areas of the patch experts.
//
// OpenCV's result is reproduced bit for bit (tests/landmarks/clnf_sampling_test.cpp compares
// the two), so fits are unchanged: source positions are quantised to 1/32 pixel through 10-bit
// fixed point (rounded to nearest, ties to even, as cvRound does), each output pixel is
// w00 p00 + w01 p01 + w10 p10 + w11 p11 summed in that order with the exact float weights of
// the 1/32 grid, and source pixels outside the image read as 0. What it saves is OpenCV's set-up
// per call (tiling, a parallel_for_, coordinate and weight tables), which outweighed the
// sampling itself on areas of a few hundred pixels.
#include <algorithm>
#include <climits>
#include <cmath>
#include <vector>

#include "landmarks/clnf_internal.h"

namespace facemirror::detail {
namespace {

constexpr int position_bits = 10;  // fixed-point bits of the source coordinates
constexpr int fraction_bits = 5;   // 1/32-pixel sub-pixel grid of the weights
constexpr int fraction_mask = (1 << fraction_bits) - 1;

int round_to_int(double v) {
  // Round half to even, saturated, like OpenCV's saturate_cast<int>(double).
  const double r = std::nearbyint(v);
  if (r >= static_cast<double>(INT_MAX))
    return INT_MAX;
  if (r <= static_cast<double>(INT_MIN))
    return INT_MIN;
  return static_cast<int>(r);
}

int to_short(int v) {
  return std::clamp(v, SHRT_MIN, SHRT_MAX);
}

}  // namespace

void warp_linear(const cv::Mat_<float>& src, const cv::Matx23d& to_src, cv::Size size,
                 cv::Mat_<float>& out) {
  out.create(size);
  const double scale = 1 << position_bits;
  const int round_delta = (1 << position_bits) >> (fraction_bits + 1);  // half a 1/32 step
  const int shift = position_bits - fraction_bits;
  std::vector<int> dx(size.width), dy(size.width);
  for (int x = 0; x < size.width; ++x) {
    dx[x] = round_to_int(to_src(0, 0) * x * scale);
    dy[x] = round_to_int(to_src(1, 0) * x * scale);
  }
  const int w = src.cols, h = src.rows;
  auto pixel = [&](int x, int y) -> float {
    return x >= 0 && x < w && y >= 0 && y < h ? src(y, x) : 0.f;
  };
  for (int y = 0; y < size.height; ++y) {
    const int x0 = round_to_int((to_src(0, 1) * y + to_src(0, 2)) * scale) + round_delta;
    const int y0 = round_to_int((to_src(1, 1) * y + to_src(1, 2)) * scale) + round_delta;
    float* row = out[y];
    for (int x = 0; x < size.width; ++x) {
      const int fx = (x0 + dx[x]) >> shift, fy = (y0 + dy[x]) >> shift;
      const int sx = to_short(fx >> fraction_bits), sy = to_short(fy >> fraction_bits);
      const float ax = static_cast<float>(fx & fraction_mask) * (1.f / (1 << fraction_bits));
      const float ay = static_cast<float>(fy & fraction_mask) * (1.f / (1 << fraction_bits));
      const float w00 = (1.f - ay) * (1.f - ax), w01 = (1.f - ay) * ax;
      const float w10 = ay * (1.f - ax), w11 = ay * ax;
      float p00, p01, p10, p11;
      if (sx >= 0 && sy >= 0 && sx < w - 1 && sy < h - 1) {
        const float* s0 = src[sy] + sx;
        const float* s1 = src[sy + 1] + sx;
        p00 = s0[0], p01 = s0[1], p10 = s1[0], p11 = s1[1];
      } else {
        p00 = pixel(sx, sy), p01 = pixel(sx + 1, sy);
        p10 = pixel(sx, sy + 1), p11 = pixel(sx + 1, sy + 1);
      }
      row[x] = p00 * w00 + p01 * w01 + p10 * w10 + p11 * w11;
    }
  }
}

}  // namespace facemirror::detail

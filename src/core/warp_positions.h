#pragma once
// Internal to the library: the source positions cv::warpAffine samples with INTER_LINEAR and
// WARP_INVERSE_MAP, for our own warps that reproduce its pixels bit for bit
// (landmarks/clnf_sampling.cpp, mirror/reflect.cpp).
//
// OpenCV works in fixed point: each row's start and each column's step are rounded (to nearest,
// ties to even, saturated, as cvRound) in 1/1024 pixel, half a 1/32 step is added, and the sum
// is cut to a 1/32-pixel grid. The integer part is then saturated to 16 bits, and the 1/32
// fraction picks the bilinear weights.
#include <algorithm>
#include <climits>
#include <cmath>
#include <vector>

#include <opencv2/core.hpp>

namespace facemirror::detail {

class warp_positions {
 public:
  static constexpr int fraction_bits = 5;  // the 1/32-pixel grid of the weights
  static constexpr int fraction_mask = (1 << fraction_bits) - 1;

  // Column steps for an output `width` pixels wide under `to_src` (output -> source).
  warp_positions(const cv::Matx23d& to_src, int width) : m_(to_src), dx_(width), dy_(width) {
    for (int x = 0; x < width; ++x) {
      dx_[x] = round(m_(0, 0) * x * scale);
      dy_[x] = round(m_(1, 0) * x * scale);
    }
  }

  // Row y's fixed-point origin; column x of it is at (origin_x(y) + dx()[x]) >> shift (x and
  // likewise y), in 1/32 pixel.
  [[nodiscard]] int origin_x(int y) const {
    return round((m_(0, 1) * y + m_(0, 2)) * scale) + half_step;
  }
  [[nodiscard]] int origin_y(int y) const {
    return round((m_(1, 1) * y + m_(1, 2)) * scale) + half_step;
  }
  [[nodiscard]] const int* dx() const { return dx_.data(); }
  [[nodiscard]] const int* dy() const { return dy_.data(); }
  static constexpr int shift = 10 - fraction_bits;

  // The integer pixel of a 1/32-pixel position, saturated to 16 bits as OpenCV stores it.
  [[nodiscard]] static int pixel(int fixed) {
    return std::clamp(fixed >> fraction_bits, SHRT_MIN, SHRT_MAX);
  }

 private:
  static constexpr double scale = 1 << 10;  // 1/1024 pixel
  static constexpr int half_step = (1 << 10) >> (fraction_bits + 1);

  static int round(double v) {
    const double r = std::nearbyint(v);
    if (r >= static_cast<double>(INT_MAX))
      return INT_MAX;
    if (r <= static_cast<double>(INT_MIN))
      return INT_MIN;
    return static_cast<int>(r);
  }

  cv::Matx23d m_;
  std::vector<int> dx_, dy_;
};

}  // namespace facemirror::detail

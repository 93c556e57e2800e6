// warp_linear: the bilinear affine sampling of cv::warpAffine (float images, INTER_LINEAR,
// WARP_INVERSE_MAP, constant zero border), for the small search areas of the patch experts.
//
// OpenCV's result is reproduced bit for bit (tests/landmarks/clnf_sampling_test.cpp compares
// the two), so fits are unchanged: source positions as core/warp_positions.h computes them,
// each output pixel w00 p00 + w01 p01 + w10 p10 + w11 p11 summed in that order with the exact
// float weights of the 1/32 grid, and source pixels outside the image read as 0. What it saves is
// OpenCV's set-up per call (tiling, a parallel_for_, coordinate and weight tables), which
// outweighed the sampling itself on areas of a few hundred pixels.
#include "facemirror/error.h"

#include "core/warp_positions.h"
#include "landmarks/clnf_internal.h"

namespace facemirror::detail {

namespace {

template <typename Pixel>
void warp_pixels(const cv::Mat_<Pixel>& src, const cv::Matx23d& to_src, cv::Size size,
                 cv::Mat_<float>& out) {
  out.create(size);
  const warp_positions at(to_src, size.width);
  constexpr int shift = warp_positions::shift, mask = warp_positions::fraction_mask;
  constexpr float step = 1.f / (1 << warp_positions::fraction_bits);
  const int w = src.cols, h = src.rows;
  auto pixel = [&](int x, int y) -> float {
    return x >= 0 && x < w && y >= 0 && y < h ? static_cast<float>(src(y, x)) : 0.f;
  };
  for (int y = 0; y < size.height; ++y) {
    const int x0 = at.origin_x(y), y0 = at.origin_y(y);
    float* row = out[y];
    for (int x = 0; x < size.width; ++x) {
      const int fx = (x0 + at.dx()[x]) >> shift, fy = (y0 + at.dy()[x]) >> shift;
      const int sx = warp_positions::pixel(fx), sy = warp_positions::pixel(fy);
      const float ax = static_cast<float>(fx & mask) * step;
      const float ay = static_cast<float>(fy & mask) * step;
      const float w00 = (1.f - ay) * (1.f - ax), w01 = (1.f - ay) * ax;
      const float w10 = ay * (1.f - ax), w11 = ay * ax;
      float p00, p01, p10, p11;
      if (sx >= 0 && sy >= 0 && sx < w - 1 && sy < h - 1) {
        const Pixel* s0 = src[sy] + sx;
        const Pixel* s1 = src[sy + 1] + sx;
        p00 = static_cast<float>(s0[0]), p01 = static_cast<float>(s0[1]);
        p10 = static_cast<float>(s1[0]), p11 = static_cast<float>(s1[1]);
      } else {
        p00 = pixel(sx, sy), p01 = pixel(sx + 1, sy);
        p10 = pixel(sx, sy + 1), p11 = pixel(sx + 1, sy + 1);
      }
      row[x] = p00 * w00 + p01 * w01 + p10 * w10 + p11 * w11;
    }
  }
}

}  // namespace

void warp_linear(const cv::Mat& src, const cv::Matx23d& to_src, cv::Size size,
                 cv::Mat_<float>& out) {
  FACEMIRROR_CHECK(src.channels() == 1 && (src.depth() == CV_8U || src.depth() == CV_32F),
                   "warp_linear: the source must be 8-bit or float, single-channel");
  if (src.depth() == CV_8U)
    warp_pixels<uchar>(src, to_src, size, out);
  else
    warp_pixels<float>(src, to_src, size, out);
}

}  // namespace facemirror::detail

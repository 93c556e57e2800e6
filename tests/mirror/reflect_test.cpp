// warp_bgr_linear must reproduce cv::warpAffine (INTER_LINEAR | WARP_INVERSE_MAP,
// BORDER_REPLICATE) bit for bit: the mirrored videos, and the AUs measured on them, are made of
// its pixels.
#include "mirror/reflect.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "support/image_compare.h"

namespace facemirror {
namespace {

using test::same_bits;

cv::Mat reference(const cv::Mat& bgr, const cv::Matx23d& m) {
  cv::Mat out;
  cv::warpAffine(bgr, out, m, bgr.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                 cv::BORDER_REPLICATE);
  return out;
}

// The reflection across the line through (px, py) at `angle` from the vertical.
cv::Matx23d reflection(double px, double py, double angle) {
  const double nx = std::cos(angle), ny = std::sin(angle);
  const double offset = px * nx + py * ny;
  return {1 - 2 * nx * nx, -2 * nx * ny,    2 * offset * nx,
          -2 * nx * ny,    1 - 2 * ny * ny, 2 * offset * ny};
}

TEST(warp_bgr_linear, matches_opencv_on_reflections_at_any_tilt_and_position) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int trial = 0; trial < 200; ++trial) {
    const cv::Size size(8 + static_cast<int>(unit(rng) * 150),
                        8 + static_cast<int>(unit(rng) * 120));
    cv::Mat bgr(size, CV_8UC3);
    cv::randu(bgr, 0, 256);
    // Lines anywhere from outside the left edge to outside the right, tilted up to 60 degrees;
    // every 5th through a point on a 1/64 grid, where the fixed-point rounding meets ties.
    double px = (unit(rng) * 1.4 - 0.2) * size.width, py = unit(rng) * size.height;
    if (trial % 5 == 0)
      px = std::round(px * 64) / 64, py = std::round(py * 64) / 64;
    const cv::Matx23d m = reflection(px, py, (unit(rng) - 0.5) * 2.1);
    cv::Mat ours;
    detail::warp_bgr_linear(bgr, m, ours);
    ASSERT_TRUE(same_bits(ours, reference(bgr, m))) << "trial " << trial;
  }
}

TEST(warp_bgr_linear, matches_opencv_on_general_affine_maps_and_a_one_pixel_image) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> coef(-1.5, 1.5);
  cv::Mat bgr(37, 53, CV_8UC3);
  cv::randu(bgr, 0, 256);
  for (int trial = 0; trial < 100; ++trial) {
    const cv::Matx23d m(coef(rng), coef(rng), 60 * coef(rng), coef(rng), coef(rng), 40 * coef(rng));
    cv::Mat ours;
    detail::warp_bgr_linear(bgr, m, ours);
    ASSERT_TRUE(same_bits(ours, reference(bgr, m))) << "trial " << trial;
  }
  const cv::Mat pixel(1, 1, CV_8UC3, cv::Scalar(10, 200, 90));
  cv::Mat ours;
  detail::warp_bgr_linear(pixel, reflection(0.3, 0.2, 0.1), ours);
  EXPECT_TRUE(same_bits(ours, reference(pixel, reflection(0.3, 0.2, 0.1))));
}

}  // namespace
}  // namespace facemirror

// warp_linear must reproduce cv::warpAffine (INTER_LINEAR | WARP_INVERSE_MAP, zero border) bit
// for bit: the CLNF fits, and through them every CSV, depend on the exact sampled values.
#include <random>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "landmarks/clnf_internal.h"
#include "support/image_compare.h"

namespace facemirror {
namespace {

using test::same_bits;

cv::Mat_<float> reference(const cv::Mat_<float>& src, const cv::Matx23d& m, cv::Size size) {
  cv::Mat_<float> out;
  cv::warpAffine(src, out, m, size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP);
  return out;
}

TEST(warp_linear, matches_opencv_on_random_similarities_inside_and_across_the_border) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  cv::Mat_<float> src(48, 64);
  cv::randu(src, 0.0, 255.0);
  int crossing_border = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const double angle = unit(rng) * 2 * CV_PI, scale = 0.3 + 2.7 * unit(rng);
    const double a = scale * std::cos(angle), b = scale * std::sin(angle);
    // Centres from well outside to well inside the image; every 4th one on a 1/64 grid, where
    // the fixed-point rounding meets exact ties.
    double cx = -20 + 104 * unit(rng), cy = -20 + 88 * unit(rng);
    if (trial % 4 == 0)
      cx = std::round(cx * 64) / 64, cy = std::round(cy * 64) / 64;
    const cv::Size size(1 + trial % 23, 1 + trial % 19);
    const cv::Matx23d m(a, -b, cx, b, a, cy);
    cv::Mat_<float> ours;
    detail::warp_linear(src, m, size, ours);
    const cv::Mat_<float> theirs = reference(src, m, size);
    ASSERT_TRUE(same_bits(ours, theirs)) << "trial " << trial;
    crossing_border += cx < 2 || cy < 2 || cx > 60 || cy > 44;
  }
  EXPECT_GT(crossing_border, 300);
}

TEST(warp_linear, matches_opencv_on_tiny_images_and_pure_translations) {
  for (const cv::Size image : {cv::Size(1, 1), cv::Size(2, 1), cv::Size(1, 3), cv::Size(5, 4)}) {
    cv::Mat_<float> src(image);
    cv::randu(src, -1.0, 1.0);
    for (double t = -3; t <= 6; t += 0.25) {
      const cv::Matx23d m(1, 0, t, 0, 1, -t / 2);
      cv::Mat_<float> ours;
      detail::warp_linear(src, m, cv::Size(7, 6), ours);
      ASSERT_TRUE(same_bits(ours, reference(src, m, cv::Size(7, 6))))
          << image << " shifted by " << t;
    }
  }
}

// The fitter samples the 8-bit grey frame without a float copy of it: the result must be the
// float copy's, bit for bit, inside the image and across its border.
TEST(warp_linear, samples_an_8_bit_image_as_its_float_copy) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  cv::Mat_<uchar> grey(37, 53);
  cv::randu(grey, 0, 256);
  cv::Mat_<float> copy;
  grey.convertTo(copy, CV_32F);
  for (int trial = 0; trial < 2000; ++trial) {
    const double angle = unit(rng) * 2 * CV_PI, scale = 0.3 + 2.7 * unit(rng);
    const double a = scale * std::cos(angle), b = scale * std::sin(angle);
    const cv::Matx23d m(a, -b, -15 + 83 * unit(rng), b, a, -15 + 67 * unit(rng));
    const cv::Size size(1 + trial % 17, 1 + trial % 13);
    cv::Mat_<float> from_grey, from_copy;
    detail::warp_linear(grey, m, size, from_grey);
    detail::warp_linear(copy, m, size, from_copy);
    ASSERT_TRUE(same_bits(from_grey, from_copy)) << "trial " << trial;
  }
}

}  // namespace
}  // namespace facemirror

#include "facemirror/mirror/mirror.h"

#include <algorithm>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

namespace facemirror {
namespace {

// A frame whose every pixel is distinct, so a wrong source pixel cannot go unnoticed.
cv::Mat textured(int width, int height) {
  cv::Mat img(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      img.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(x * 7 + y), static_cast<uchar>(y * 5),
                                          static_cast<uchar>((x * 3) ^ (y * 11)));
    }
  }
  return img;
}

landmarks_2d landmarks_with_midline(cv::Point2d glabella, cv::Point2d chin) {
  landmarks_2d pts{};
  pts[21] = glabella + cv::Point2d(-4, 0);
  pts[22] = glabella + cv::Point2d(4, 0);
  pts[8] = chin;
  return pts;
}

TEST(mirror_test, midline_runs_from_inner_brows_to_chin) {
  auto line = midline_from_landmarks(landmarks_with_midline({50, 10}, {52, 90}));
  ASSERT_TRUE(line);
  EXPECT_EQ(line->glabella, cv::Point2d(50, 10));
  EXPECT_EQ(line->chin, cv::Point2d(52, 90));
  EXPECT_FALSE(midline_from_landmarks(landmarks_2d{}));
}

TEST(mirror_test, vertical_axis_reflection_is_pixel_exact) {
  const cv::Mat src = textured(100, 60);
  const midline line{{50, 5}, {50, 55}};
  const auto out = mirror_faces(src, line, 3.0);
  for (int y = 0; y < src.rows; ++y) {
    for (int k = 4; k <= 45; ++k) {
      // Image-left (patient's right) is kept in right_mirrored and reflected onto image-right.
      ASSERT_EQ(out.right_mirrored.at<cv::Vec3b>(y, 50 - k), src.at<cv::Vec3b>(y, 50 - k));
      ASSERT_EQ(out.right_mirrored.at<cv::Vec3b>(y, 50 + k), src.at<cv::Vec3b>(y, 50 - k));
      ASSERT_EQ(out.left_mirrored.at<cv::Vec3b>(y, 50 + k), src.at<cv::Vec3b>(y, 50 + k));
      ASSERT_EQ(out.left_mirrored.at<cv::Vec3b>(y, 50 - k), src.at<cv::Vec3b>(y, 50 + k));
    }
  }
}

TEST(mirror_test, tilted_axis_is_a_true_reflection) {
  // Across the diagonal y = x the reflection of (x, y) is (y, x): exact on the pixel grid.
  const cv::Mat src = textured(80, 80);
  const midline line{{10, 10}, {60, 60}};
  const auto out = mirror_faces(src, line, 2.0);
  for (int y = 0; y < 80; ++y) {
    for (int x = 0; x < 80; ++x) {
      if (std::abs(x - y) < 4)
        continue;                          // the blended seam
      const bool image_left_side = y > x;  // s(p) > 0: the patient's right in this geometry
      const cv::Vec3b kept = src.at<cv::Vec3b>(y, x);
      const cv::Vec3b mirrored = src.at<cv::Vec3b>(x, y);
      ASSERT_EQ(out.right_mirrored.at<cv::Vec3b>(y, x), image_left_side ? kept : mirrored);
      ASSERT_EQ(out.left_mirrored.at<cv::Vec3b>(y, x), image_left_side ? mirrored : kept);
    }
  }
}

TEST(mirror_test, right_mirrored_is_built_from_the_image_left_half) {
  cv::Mat src(40, 40, CV_8UC3, cv::Scalar(255, 0, 0));       // image right: blue
  src(cv::Rect(0, 0, 20, 40)).setTo(cv::Scalar(0, 0, 255));  // image left: red
  const auto out = mirror_faces(src, midline{{20, 0}, {20, 39}}, 1.0);
  EXPECT_EQ(out.right_mirrored.at<cv::Vec3b>(20, 35), cv::Vec3b(0, 0, 255));
  EXPECT_EQ(out.right_mirrored.at<cv::Vec3b>(20, 5), cv::Vec3b(0, 0, 255));
  EXPECT_EQ(out.left_mirrored.at<cv::Vec3b>(20, 5), cv::Vec3b(255, 0, 0));
  EXPECT_EQ(out.left_mirrored.at<cv::Vec3b>(20, 35), cv::Vec3b(255, 0, 0));
}

TEST(mirror_test, seam_blends_both_sides) {
  cv::Mat src(20, 40, CV_8UC3, cv::Scalar(200, 200, 200));
  src(cv::Rect(0, 0, 20, 20)).setTo(cv::Scalar(0, 0, 0));
  const midline line{{19.5, 0}, {19.5, 19}};
  const auto out = mirror_faces(src, line, 3.0);
  // On the axis itself both halves weigh the same.
  const cv::Vec3b at_seam = out.right_mirrored.at<cv::Vec3b>(10, 19);
  EXPECT_GT(at_seam[0], 0);
  EXPECT_LT(at_seam[0], 200);
  // Across the band the original's weight falls linearly from 1 at seam_px inside its own half
  // to 0 at seam_px beyond the axis: at signed distance s (image-left positive) it is
  // 0.5 + s / (2 seam_px). Pixel x reflects onto 39 - x exactly.
  for (int x = 12; x < 28; ++x) {
    const double s = 19.5 - x;
    const double keep = std::clamp(0.5 + s / 6.0, 0.0, 1.0);
    const double original = x < 20 ? 0 : 200, reflected = 39 - x < 20 ? 0 : 200;
    EXPECT_NEAR(out.right_mirrored.at<cv::Vec3b>(10, x)[0],
                keep * original + (1 - keep) * reflected, 1.0)
        << "x " << x;
    EXPECT_NEAR(out.left_mirrored.at<cv::Vec3b>(10, x)[0], (1 - keep) * original + keep * reflected,
                1.0)
        << "x " << x;
  }
}

TEST(mirror_test, landmark_partners_pair_left_with_right) {
  EXPECT_EQ(mirror_partner(0), 16);   // jaw ends
  EXPECT_EQ(mirror_partner(8), 8);    // chin
  EXPECT_EQ(mirror_partner(17), 26);  // outer brow ends
  EXPECT_EQ(mirror_partner(36), 45);  // outer eye corners
  EXPECT_EQ(mirror_partner(39), 42);  // inner eye corners
  EXPECT_EQ(mirror_partner(48), 54);  // mouth corners
  EXPECT_EQ(mirror_partner(66), 66);  // inner lower lip centre
  // The whole 68-point scheme (iBUG 300-W): every point's partner across the face's midline.
  const int partners[landmark_count] = {
      16, 15, 14, 13, 12, 11, 10, 9,  8,  7,  6,  5,  4, 3, 2, 1, 0,  // jaw
      26, 25, 24, 23, 22, 21, 20, 19, 18, 17,                         // brows
      27, 28, 29, 30, 35, 34, 33, 32, 31,                             // nose
      45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,                 // eyes
      54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,                 // outer lips
      64, 63, 62, 61, 60, 67, 66, 65};                                // inner lips
  for (int i = 0; i < landmark_count; ++i)
    EXPECT_EQ(mirror_partner(i), partners[i]) << i;
  for (int i = 0; i < landmark_count; ++i)
    EXPECT_EQ(mirror_partner(mirror_partner(i)), i) << i;
}

// A face symmetric about a tilted line scores 0; moving one half's points by a known amount
// scores what that displacement is, relative to the jaw's width.
TEST(mirror_test, landmark_asymmetry_measures_distance_from_mirror_symmetry) {
  landmarks_2d face{};
  for (int i = 0; i < landmark_count; ++i) {
    const int j = mirror_partner(i);
    const double dx = 5.0 + i % 17;
    if (j == i) {
      face[i] = {0.0, 10.0 + i};
    } else if (i < j) {
      face[i] = {-dx, 10.0 + i};
      face[j] = {dx, 10.0 + i};
    }
  }
  face[0] = {-50, 10};
  face[16] = {50, 10};  // jaw 100 wide
  // Tilt by 20 degrees and shift: still exactly symmetric.
  const double a = 20.0 * CV_PI / 180.0;
  landmarks_2d tilted{};
  for (int i = 0; i < landmark_count; ++i) {
    const cv::Point2d& p = face[i];
    tilted[i] = {300 + std::cos(a) * p.x - std::sin(a) * p.y,
                 200 + std::sin(a) * p.x + std::cos(a) * p.y};
  }
  EXPECT_NEAR(landmark_asymmetry(tilted), 0.0, 1e-12);

  // One half of the mouth (the lower-numbered point of each of its 8 pairs) moves down: each
  // such pair is then that far from symmetry about the old line, counted from both points,
  // 10 px giving 2 * 8 * 10 / 68 / 100 = 0.0235 of the jaw's width. The least-squares line
  // tilts a little to meet the moved points, spreading some of it over all of them.
  const auto lower_mouth_half = [&](double px) {
    landmarks_2d lowered = face;
    for (int i = 48; i < landmark_count; ++i) {
      if (mirror_partner(i) > i)
        lowered[i].y += px;
    }
    return landmark_asymmetry(lowered);
  };
  const double ten = lower_mouth_half(10);
  EXPECT_GT(ten, 0.02);
  EXPECT_LT(ten, 0.035);
  EXPECT_NEAR(lower_mouth_half(20), 2 * ten, 0.1 * ten);
  EXPECT_EQ(landmark_asymmetry(landmarks_2d{}), 0.0);
}

TEST(mirror_test, smoother_weights_recent_frames_more) {
  midline_smoother smoother(5);
  midline first = smoother.smooth({{0, 0}, {0, 100}});
  EXPECT_EQ(first.glabella, cv::Point2d(0, 0));
  midline second = smoother.smooth({{10, 0}, {10, 100}});
  // weights 0.5 (old) and 1.0 (new): 10 * 1 / 1.5
  EXPECT_NEAR(second.glabella.x, 10.0 / 1.5, 1e-12);
  for (int i = 0; i < 10; ++i)
    (void)smoother.smooth({{10, 0}, {10, 100}});
  EXPECT_NEAR(smoother.smooth({{10, 0}, {10, 100}}).glabella.x, 10.0, 1e-12);
  smoother.reset();
  EXPECT_EQ(smoother.smooth({{3, 0}, {3, 100}}).glabella.x, 3.0);
}

// The yaw mirroring sees is the head's turn from the camera's line of sight to it: a head 45
// degrees to the side (Tx = Tz) turned 45 degrees towards the camera faces it (0); on the
// optical axis it is pose_Ry itself. One face cropped off-centre (subj01 at 2 s, measured:
// Ry 18.05 degrees, Tx 117.7, Tz 354.8 mm) reads near 0, as it does centred (1.5).
TEST(mirror_test, mirroring_yaw_is_measured_from_the_line_of_sight) {
  const double radian = 3.14159265358979323846 / 180.0;
  head_pose pose;
  pose.tx = 300;
  pose.tz = 300;
  pose.ry = 45 * radian;
  EXPECT_NEAR(mirroring_yaw_deg(pose), 0.0, 1e-9);
  pose.tx = 0;
  pose.ry = -7 * radian;
  EXPECT_NEAR(mirroring_yaw_deg(pose), -7.0, 1e-9);
  pose.tx = 117.7;
  pose.tz = 354.8;
  pose.ry = 18.05 * radian;
  EXPECT_NEAR(mirroring_yaw_deg(pose), -0.3, 0.05);
}

TEST(mirror_test, yaw_banner_thresholds) {
  EXPECT_EQ(classify_yaw(0.0), yaw_quality::good);
  EXPECT_EQ(classify_yaw(-3.0), yaw_quality::good);
  EXPECT_EQ(classify_yaw(4.9), yaw_quality::acceptable);
  EXPECT_EQ(classify_yaw(-5.1), yaw_quality::poor);
}

TEST(mirror_test, debug_frame_draws_midline_and_banner) {
  const cv::Mat src(120, 160, CV_8UC3, cv::Scalar(0, 0, 0));
  const cv::Mat dbg = draw_debug_frame(src, midline{{80, 40}, {80, 110}}, nullptr, 1.0);
  EXPECT_EQ(dbg.at<cv::Vec3b>(5, 150), cv::Vec3b(0, 150, 0));  // green banner: good yaw
  EXPECT_EQ(dbg.at<cv::Vec3b>(70, 80)[2], 255);                // red midline
  const cv::Mat none = draw_debug_frame(src, std::nullopt, nullptr, 0.0);
  EXPECT_EQ(none.at<cv::Vec3b>(5, 150), cv::Vec3b(0, 0, 255));
  EXPECT_EQ(src.at<cv::Vec3b>(70, 80), cv::Vec3b(0, 0, 0));  // the source is untouched
}

// The banner's white text: the columns it spans in the banner's rows, [first, last].
std::pair<int, int> banner_text_columns(const cv::Mat& debug_frame, int banner_rows) {
  int first = debug_frame.cols, last = -1;
  for (int y = 0; y < banner_rows; ++y) {
    for (int x = 0; x < debug_frame.cols; ++x) {
      const cv::Vec3b p = debug_frame.at<cv::Vec3b>(y, x);
      if (p[0] > 200 && p[1] > 200 && p[2] > 200) {
        first = std::min(first, x);
        last = std::max(last, x);
      }
    }
  }
  return {first, last};
}

// The banner grows with the frame (readable on a 4K recording) and its whole line fits a
// narrow one (a 320-pixel webcam frame once lost its yaw off the right edge).
TEST(mirror_test, debug_banner_scales_with_the_frame_and_fits_its_width) {
  const midline line{{160, 80}, {160, 200}};
  const double yaw = -23.4;  // the longest text: excessive rotation, with its yaw
  const cv::Mat small =
      draw_debug_frame(cv::Mat(240, 320, CV_8UC3, cv::Scalar(0, 0, 0)), line, nullptr, yaw);
  const auto [small_first, small_last] = banner_text_columns(small, 24);
  EXPECT_GT(small_last, 320 / 2) << "no text";
  EXPECT_LT(small_last, 320 - 4) << "the text runs off the frame";
  EXPECT_GE(small_first, 4);
  EXPECT_EQ(small.at<cv::Vec3b>(15, 320 - 2), cv::Vec3b(0, 0, 255));  // red: excessive yaw
  const cv::Mat big = draw_debug_frame(cv::Mat(2160, 3840, CV_8UC3, cv::Scalar(0, 0, 0)),
                                       midline{{1920, 800}, {1920, 1600}}, nullptr, yaw);
  EXPECT_EQ(big.at<cv::Vec3b>(85, 3840 - 2), cv::Vec3b(0, 0, 255));  // 90 rows at 2160
  EXPECT_EQ(big.at<cv::Vec3b>(95, 3840 - 2), cv::Vec3b(0, 0, 0));
  const auto [big_first, big_last] = banner_text_columns(big, 90);
  EXPECT_GT(big_last - big_first, 3 * (small_last - small_first)) << "the text did not grow";
}

}  // namespace
}  // namespace facemirror

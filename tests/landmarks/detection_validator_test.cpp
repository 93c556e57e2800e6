// OpenFace 2.2's detection validator: loading (and refusing damaged files), the piecewise-affine
// warp on a synthetic image, and a regression against OpenFace's `confidence` and `success`
// columns with OpenFace's own landmarks and rotations fed in.
#include "facemirror/landmarks/detection_validator.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "facemirror/error.h"
#include "facemirror/io/video_reader.h"

#include "support/reference_csv.h"
#include "support/test_data.h"

namespace facemirror {
namespace {

std::filesystem::path validator_file() {
  return *test::shared_dir() / "models/openface/model/detection_validation/validator_cnn.txt";
}

const std::shared_ptr<const detection_validator>& shared_validator() {
  static const auto v = detection_validator::load(validator_file());
  return v;
}

// OpenFace prints the confidence with two decimals.
double round2(double v) {
  return std::round(v * 100.0) / 100.0;
}

struct agreement {
  int frames = 0, same_confidence = 0, same_success = 0;
  double mean_abs = 0, max_abs = 0, ms_per_check = 0;
};

agreement compare_video(const std::filesystem::path& video, const std::filesystem::path& csv) {
  const test::reference_csv ref(csv);
  const auto& validator = *shared_validator();
  video_reader reader(probe_video(video));
  agreement a;
  std::chrono::steady_clock::duration spent{};
  for (size_t i = 0; i < ref.rows(); ++i) {
    const auto frame = reader.read();
    if (!frame)
      throw std::runtime_error("video ended before the reference rows: " + video.string());
    const auto t0 = std::chrono::steady_clock::now();
    const detection_check c = validator.validate(frame->bgr, ref.landmarks(i), ref.rotation(i));
    spent += std::chrono::steady_clock::now() - t0;
    const double d = std::abs(round2(c.certainty) - ref.at(i, "confidence"));
    a.mean_abs += d;
    a.max_abs = std::max(a.max_abs, d);
    a.same_confidence += d < 0.005;
    a.same_success += c.success == (ref.at(i, "success") == 1);
    ++a.frames;
  }
  a.mean_abs /= a.frames;
  a.ms_per_check = std::chrono::duration<double, std::milli>(spent).count() / a.frames;
  return a;
}

TEST(detection_validator, loads_openface_model) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto& v = *shared_validator();
  ASSERT_EQ(v.view_count(), 7);
  const double deg = CV_PI / 180;
  const double yaws[7] = {0, -20, -45, -70, 20, 45, 70};
  for (int i = 0; i < 7; ++i) {
    EXPECT_NEAR(v.view_centre(i)[0], 0, 1e-12);
    EXPECT_NEAR(v.view_centre(i)[1], yaws[i] * deg, 1e-12);
  }
  EXPECT_EQ(v.view_for({0.05, 0.1, -0.2}), 0);
  EXPECT_EQ(v.view_for({0, -25 * deg, 0}), 1);
  EXPECT_EQ(v.view_for({0, 40 * deg, 0}), 5);
  EXPECT_EQ(v.view_for({0, 1.5, 0}), 6);
  // Frontal view: 2642 face pixels in a 60x60 grid that holds the reference shape.
  const cv::Mat m = v.mask(0);
  EXPECT_EQ(m.size(), cv::Size(60, 60));
  EXPECT_EQ(cv::countNonZero(m), 2642);
  const cv::Point2d o = v.reference_origin(0);
  for (const cv::Point2d& p : v.reference_shape(0)) {
    EXPECT_GE(p.x, o.x - 1);
    EXPECT_LE(p.x, o.x + 60);
    EXPECT_GE(p.y, o.y - 1);
    EXPECT_LE(p.y, o.y + 60);
  }
}

TEST(detection_validator, damaged_file_is_a_model_format_error_naming_it) {
  FACEMIRROR_REQUIRE_SHARED();
  std::ifstream in(validator_file(), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto dir = test::scratch_dir();
  const auto expect_refused = [](const std::filesystem::path& file) {
    try {
      (void)detection_validator::load(file);
      ADD_FAILURE() << "loaded " << file;
    } catch (const error& e) {
      EXPECT_EQ(e.code(), error_code::model_format);
      EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    }
  };
  // Cut in the header, in a view's layers, and one byte short of the end (inside the warp).
  for (const size_t size : {size_t{6}, bytes.size() / 2, bytes.size() - 1}) {
    const auto file = dir / ("validator_" + std::to_string(size) + ".txt");
    std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(size));
    expect_refused(file);
  }
  std::string old_type = bytes;
  old_type[0] = 1;  // the pre-CNN validators OpenFace 2 no longer reads
  std::ofstream(dir / "old_type.txt", std::ios::binary) << old_type;
  expect_refused(dir / "old_type.txt");
  std::ofstream(dir / "trailing.txt", std::ios::binary) << bytes << "junk";
  expect_refused(dir / "trailing.txt");
  expect_refused(dir / "missing.txt");
}

// A face that is an exact similarity transform of the reference shape, on images whose grey
// level is the x (or y) coordinate: every warped pixel must read back the image coordinate its
// reference position maps to (bilinear interpolation is exact on a ramp; OpenCV's remap
// quantises positions to 1/32 px).
TEST(detection_validator, warp_maps_reference_grid_through_the_landmarks) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto& v = *shared_validator();
  cv::Mat_<uchar> ramp_x(256, 256), ramp_y(256, 256);
  for (int y = 0; y < 256; ++y)
    for (int x = 0; x < 256; ++x)
      ramp_x(y, x) = static_cast<uchar>(x), ramp_y(y, x) = static_cast<uchar>(y);
  const double scale = 2.5;
  const cv::Point2d shift(128.3, 121.7);
  for (const int view : {0, 2, 6}) {
    landmarks_2d lm = v.reference_shape(view);
    for (auto& p : lm)
      p = p * scale + shift;
    const cv::Mat wx = v.warp(ramp_x, lm, view), wy = v.warp(ramp_y, lm, view);
    const cv::Mat m = v.mask(view);
    const cv::Point2d o = v.reference_origin(view);
    double worst = 0;
    int inside = 0;
    for (int y = 0; y < 60; ++y)
      for (int x = 0; x < 60; ++x) {
        if (!m.at<uchar>(y, x)) {
          EXPECT_EQ(wx.at<float>(y, x), 0.0f);
          continue;
        }
        ++inside;
        const cv::Point2d expected = (cv::Point2d(x, y) + o) * scale + shift;
        worst = std::max(worst, std::abs(wx.at<float>(y, x) - expected.x));
        worst = std::max(worst, std::abs(wy.at<float>(y, x) - expected.y));
      }
    EXPECT_GT(inside, 1000) << "view " << view;
    EXPECT_LT(worst, 0.04) << "view " << view;
  }
}

TEST(detection_validator, matches_openface_on_default_wmv) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto dir = *test::shared_dir();
  const agreement a = compare_video(dir / "videos/openface-samples/default.wmv",
                                    dir / "reference/openface22/default.csv");
  // Measured: every one of the 288 frames in OpenFace's bin (0.98), all successes agree.
  EXPECT_EQ(a.frames, 288);
  EXPECT_EQ(a.same_confidence, a.frames);
  EXPECT_EQ(a.same_success, a.frames);
  EXPECT_EQ(a.max_abs, 0.0);
  std::printf("default.wmv: %d frames, mean |diff| %.4f, max %.2f, %.3f ms per check\n", a.frames,
              a.mean_abs, a.max_abs, a.ms_per_check);
}

// multi_face.avi is where OpenFace's confidence moves (faces turn away, one frame fails).
TEST(detection_validator, matches_openface_on_every_reference_video) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto dir = *test::shared_dir();
  const std::pair<const char*, const char*> videos[] = {
      {"openface-samples/default.wmv", "default"},
      {"openface-samples/changeLighting.wmv", "changeLighting"},
      {"openface-samples/2015-10-15-15-14.avi", "2015-10-15-15-14"},
      {"openface-samples/multi_face.avi", "multi_face"},
      {"open_dbm/subj01_timepoint01.mp4", "subj01_timepoint01"},
      {"open_dbm/subj02_timepoint01.mp4", "subj02_timepoint01"},
  };
  for (const auto& [video, name] : videos) {
    const agreement a = compare_video(dir / "videos" / video,
                                      dir / "reference/openface22" / (name + std::string(".csv")));
    std::printf(
        "%-20s %4d frames: confidence equal %5.1f%%, mean |diff| %.4f, max %.2f, "
        "success agree %5.1f%%, %.3f ms per check\n",
        name, a.frames, 100.0 * a.same_confidence / a.frames, a.mean_abs, a.max_abs,
        100.0 * a.same_success / a.frames, a.ms_per_check);
    // Measured: every frame equal except two of multi_face.avi (700 of 702), and every success
    // equal. Frame 578: OpenFace wrote 0.02 but its landmarks give 0.72 (also a failure):
    // after a failed re-detection OpenFace restores the previous landmarks but keeps the
    // discarded fit's certainty. Frame 652: 0.98 against OpenFace's 0.88, a borderline bin
    // (a third of +-0.05 px jitters of the CSV's rounded landmarks give 0.88).
    EXPECT_GE(a.same_confidence, a.frames * 0.99) << name;
    EXPECT_GE(a.same_success, a.frames - 1) << name;
  }
}

TEST(detection_validator, rejects_what_is_not_a_face) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto dir = *test::shared_dir();
  const test::reference_csv ref(dir / "reference/openface22/default.csv");
  video_reader reader(probe_video(dir / "videos/openface-samples/default.wmv"));
  const cv::Mat frame = reader.read()->bgr;
  const auto& v = *shared_validator();
  const landmarks_2d face = ref.landmarks(0);
  const cv::Vec3d rot = ref.rotation(0);
  EXPECT_TRUE(v.validate(frame, face, rot).success);

  // The same shape moved onto the background, or onto a blank image.
  for (const cv::Point2d shift : {cv::Point2d(250, 0), cv::Point2d(-130, 150)}) {
    landmarks_2d moved = face;
    for (auto& p : moved)
      p += shift;
    const detection_check c = v.validate(frame, moved, rot);
    std::printf("shape moved by (%g, %g): certainty %.3f\n", shift.x, shift.y, c.certainty);
    EXPECT_FALSE(c.success);
  }
  const cv::Mat blank(frame.size(), CV_8UC3, cv::Scalar(128, 128, 128));
  const detection_check on_blank = v.validate(blank, face, rot);
  std::printf("blank image: certainty %.3f\n", on_blank.certainty);
  EXPECT_FALSE(on_blank.success);
  // A shape whose box misses the image.
  landmarks_2d outside = face;
  for (auto& p : outside)
    p.x += 2000;
  EXPECT_EQ(v.check(frame, outside, rot), 0.0);
  landmarks_2d broken = face;
  broken[5].x = std::nan("");
  EXPECT_EQ(v.check(frame, broken, rot), 0.0);
}

TEST(detection_validator, concurrent_checks_agree) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto dir = *test::shared_dir();
  const test::reference_csv ref(dir / "reference/openface22/default.csv");
  video_reader reader(probe_video(dir / "videos/openface-samples/default.wmv"));
  std::vector<cv::Mat> frames;
  for (int i = 0; i < 8; ++i)
    frames.push_back(reader.read()->bgr);
  const auto& v = *shared_validator();
  std::vector<double> serial, threaded(frames.size());
  for (size_t i = 0; i < frames.size(); ++i)
    serial.push_back(v.check(frames[i], ref.landmarks(i), ref.rotation(i)));
  std::vector<std::thread> workers;
  for (size_t i = 0; i < frames.size(); ++i)
    workers.emplace_back(
        [&, i] { threaded[i] = v.check(frames[i], ref.landmarks(i), ref.rotation(i)); });
  for (auto& w : workers)
    w.join();
  EXPECT_EQ(serial, threaded);
}

}  // namespace
}  // namespace facemirror

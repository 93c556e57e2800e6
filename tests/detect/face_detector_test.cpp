// face_detector on synthetic input: no faces where there are none, argument checks; the
// detector unpacked at build time is dlib's.
#include "facemirror/detect/face_detector.h"

#include <cstddef>
#include <sstream>
#include <string>

#include <dlib/image_processing/frontal_face_detector.h>
#include <gtest/gtest.h>

#include "facemirror/error.h"

namespace facemirror {
namespace detail {
extern const unsigned char frontal_detector_bytes[];  // generated at build time
extern const std::size_t frontal_detector_size;
}  // namespace detail

namespace {

TEST(FaceDetector, EmbeddedDetectorIsDlibsOwn) {
  std::ostringstream fresh;
  dlib::serialize(dlib::get_frontal_face_detector(), fresh);
  const std::string embedded(reinterpret_cast<const char*>(detail::frontal_detector_bytes),
                             detail::frontal_detector_size);
  EXPECT_TRUE(fresh.str() == embedded)
      << "embedded " << embedded.size() << " bytes, dlib's " << fresh.str().size();
}

TEST(FaceDetector, BlankImageHasNoFace) {
  face_detector detector;
  EXPECT_TRUE(detector.detect(cv::Mat(480, 640, CV_8UC3, cv::Scalar(128, 128, 128))).empty());
  EXPECT_TRUE(detector.detect(cv::Mat(480, 640, CV_8UC1, cv::Scalar(0))).empty());
}

TEST(FaceDetector, NoiseHasNoFaceAtDefaultThreshold) {
  cv::Mat noise(480, 640, CV_8UC3);
  cv::RNG rng(7);  // fixed seed: the test is deterministic
  rng.fill(noise, cv::RNG::UNIFORM, 0, 256);
  face_detector detector;
  EXPECT_TRUE(detector.detect(noise).empty());
}

TEST(FaceDetector, EmptyFrameAndRoiOutsideFrameGiveNothing) {
  face_detector detector;
  EXPECT_TRUE(detector.detect(cv::Mat()).empty());
  const cv::Mat frame(100, 100, CV_8UC3, cv::Scalar::all(0));
  EXPECT_TRUE(detector.detect(frame, cv::Rect(200, 200, 50, 50)).empty());
  EXPECT_TRUE(detector.detect_scaled(frame, cv::Rect(-80, -80, 40, 40), 1.0).empty());
}

TEST(FaceDetector, RejectsBadArguments) {
  face_detector detector;
  const cv::Mat floats(64, 64, CV_32FC3, cv::Scalar::all(0));
  try {
    (void)detector.detect(floats);
    FAIL() << "float image accepted";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_code::invalid_argument);
  }
  const cv::Mat frame(64, 64, CV_8UC3, cv::Scalar::all(0));
  EXPECT_THROW((void)detector.detect_scaled(frame, cv::Rect(), 0.0), error);
  EXPECT_THROW(face_detector(face_detector_options{0.0, -1, 640}), error);
  EXPECT_THROW(face_detector(face_detector_options{0.0, 0, -5}), error);
}

TEST(FaceDetector, CopyKeepsOptions) {
  face_detector_options options;
  options.score_threshold = -0.25;
  options.max_side_px = 320;
  const face_detector original(options);
  const face_detector copy(original);  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_DOUBLE_EQ(copy.options().score_threshold, -0.25);
  EXPECT_EQ(copy.options().max_side_px, 320);
}

}  // namespace
}  // namespace facemirror

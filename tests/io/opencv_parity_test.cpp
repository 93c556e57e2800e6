// Our frames are bit-identical to cv::VideoCapture's, which is how OpenFace 2.2 read the videos
// behind the reference CSVs: decoding can never be a source of fidelity differences.

#include <gtest/gtest.h>
#include <opencv2/videoio.hpp>

#include "io_test_util.h"

namespace facemirror {
namespace {

class OpenCvParity : public ::testing::TestWithParam<const char*> {};

TEST_P(OpenCvParity, FramesAndFpsEqualVideoCapture) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto path = *test::shared_dir() / "videos" / GetParam();
  video_reader reader(probe_video(path));
  cv::VideoCapture capture(path.string(), cv::CAP_FFMPEG);
  ASSERT_TRUE(capture.isOpened());
  EXPECT_EQ(reader.info().average_fps, capture.get(cv::CAP_PROP_FPS));
  cv::Mat expected;
  int64_t count = 0;
  while (auto frame = reader.read()) {
    ASSERT_TRUE(capture.read(expected)) << "VideoCapture ended at frame " << count;
    ASSERT_TRUE(test::same_pixels(frame->bgr, expected)) << "frame " << count;
    ++count;
  }
  EXPECT_FALSE(capture.read(expected)) << "VideoCapture has more frames than " << count;
}

INSTANTIATE_TEST_SUITE_P(
    Samples, OpenCvParity,
    ::testing::Values("openface-samples/default.wmv", "openface-samples/changeLighting.wmv",
                      "openface-samples/2015-10-15-15-14.avi", "openface-samples/multi_face.avi",
                      "open_dbm/subj01_timepoint01.mp4", "open_dbm/subj02_timepoint01.mp4"));

}  // namespace
}  // namespace facemirror

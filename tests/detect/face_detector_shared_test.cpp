// face_detector on OpenFace's sample images: finds faces, orders them, honours the roi.
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facemirror/detect/face_detector.h"

#include "support/test_data.h"

namespace facemirror {
namespace {

cv::Mat sample(const char* name) {
  const auto file = *test::shared_dir() / "videos" / "openface-samples" / name;
  cv::Mat image = cv::imread(file.string(), cv::IMREAD_COLOR);
  EXPECT_FALSE(image.empty()) << file;
  return image;
}

double overlap(const cv::Rect2d& a, const cv::Rect2d& b) {
  const double inter = (a & b).area();
  return inter / (a.area() + b.area() - inter);
}

TEST(FaceDetectorShared, FindsTheFaceInSample1) {
  FACEMIRROR_REQUIRE_SHARED();
  const cv::Mat image = sample("sample1.jpg");
  face_detector detector;
  const auto faces = detector.detect(image);
  ASSERT_EQ(faces.size(), 1u);
  const cv::Rect2d& box = faces[0].box;
  EXPECT_GT(faces[0].score, 0.0);
  // One face of ~216 px, well inside the 640x400 image, left of centre.
  EXPECT_NEAR(box.width, 216.0, 30.0);
  EXPECT_NEAR(box.x + box.width / 2, 198.0, 30.0);
  EXPECT_NEAR(box.y + box.height / 2, 174.0, 30.0);
}

TEST(FaceDetectorShared, GreyAndColourAgree) {
  FACEMIRROR_REQUIRE_SHARED();
  const cv::Mat image = sample("sample3.jpg");
  cv::Mat grey;
  cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
  face_detector detector;
  const auto colour_faces = detector.detect(image);
  const auto grey_faces = detector.detect(grey);
  ASSERT_EQ(colour_faces.size(), 1u);
  ASSERT_EQ(grey_faces.size(), 1u);
  EXPECT_EQ(colour_faces[0].box, grey_faces[0].box);
}

TEST(FaceDetectorShared, ManyFacesStrongestFirstInFrameCoordinates) {
  FACEMIRROR_REQUIRE_SHARED();
  const cv::Mat image = sample("sample6.jpg");  // 1942x1944 group photo, shrunk to 640
  face_detector detector;
  const auto faces = detector.detect(image);
  ASSERT_GE(faces.size(), 5u);
  for (size_t i = 1; i < faces.size(); ++i)
    EXPECT_GE(faces[i - 1].score, faces[i].score);
  for (const auto& f : faces) {
    EXPECT_GE(f.box.x, -f.box.width / 4);
    EXPECT_LE(f.box.x + f.box.width, image.cols + f.box.width / 4);
    EXPECT_GT(f.box.width, 150.0);  // mapped back from the shrunk image
  }
}

TEST(FaceDetectorShared, RoiRestrictsTheSearch) {
  FACEMIRROR_REQUIRE_SHARED();
  const cv::Mat image = sample("sample1.jpg");
  face_detector detector;
  const auto all = detector.detect(image);
  ASSERT_EQ(all.size(), 1u);
  const cv::Rect2d face = all[0].box;

  // A region around the face finds it at the same place, in frame coordinates.
  const cv::Rect around(cvRound(face.x - 60), cvRound(face.y - 50), cvRound(face.width + 120),
                        cvRound(face.height + 100));
  const auto inside = detector.detect(image, around);
  ASSERT_EQ(inside.size(), 1u);
  EXPECT_GT(overlap(inside[0].box, face), 0.7);

  // The same through detect_scaled with the face brought to ~100 px.
  const auto scaled = detector.detect_scaled(image, around, 100.0 / face.width);
  ASSERT_EQ(scaled.size(), 1u);
  EXPECT_GT(overlap(scaled[0].box, face), 0.6);

  // A region that misses the face finds nothing.
  const cv::Rect elsewhere(cvRound(face.x + face.width + 10), 0,
                           image.cols - cvRound(face.x + face.width + 10), image.rows);
  EXPECT_TRUE(detector.detect(image, elsewhere).empty());
}

TEST(FaceDetectorShared, CopiesAndRepeatsAreIdentical) {
  FACEMIRROR_REQUIRE_SHARED();
  const cv::Mat image = sample("sample5.jpg");
  face_detector a;
  face_detector b(a);
  const auto first = a.detect(image);
  const auto again = a.detect(image);
  const auto other = b.detect(image);
  ASSERT_FALSE(first.empty());
  ASSERT_EQ(first.size(), again.size());
  ASSERT_EQ(first.size(), other.size());
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].box, again[i].box);
    EXPECT_EQ(first[i].box, other[i].box);
    EXPECT_EQ(first[i].score, other[i].score);
  }
}

}  // namespace
}  // namespace facemirror

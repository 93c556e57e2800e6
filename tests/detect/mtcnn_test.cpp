// mtcnn_detector with OpenFace's weights: loads the nets, finds the face in sample1.jpg,
// reports malformed weight files by name.
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "facemirror/detect/mtcnn_detector.h"
#include "facemirror/error.h"

#include "support/test_data.h"

namespace facemirror {
namespace {

std::filesystem::path model_dir() {
  return *test::shared_dir() / "models" / "openface" / "model" / "mtcnn_detector";
}

double overlap(const cv::Rect2d& a, const cv::Rect2d& b) {
  const double inter = (a & b).area();
  return inter / (a.area() + b.area() - inter);
}

TEST(MtcnnShared, LoadsTheThreeNets) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto pnet = mtcnn_net::load((model_dir() / "PNet.dat").string());
  const auto rnet = mtcnn_net::load((model_dir() / "RNet.dat").string());
  const auto onet = mtcnn_net::load((model_dir() / "ONet.dat").string());
  EXPECT_EQ(pnet.layers.size(), 8u);
  EXPECT_EQ(rnet.layers.size(), 11u);
  EXPECT_EQ(onet.layers.size(), 14u);
  // 12, 24 and 48 px inputs give one output cell: face logits, box regression (+ landmarks).
  const auto out = onet.forward(cv::Mat(48, 48, CV_32FC3, cv::Scalar::all(0)));
  ASSERT_EQ(out.size(), 16u);
  EXPECT_EQ(out[0].total(), 1u);
  EXPECT_EQ(rnet.forward(cv::Mat(24, 24, CV_32FC3, cv::Scalar::all(0))).size(), 6u);
  const auto map = pnet.forward(cv::Mat(32, 40, CV_32FC3, cv::Scalar::all(0)));
  ASSERT_EQ(map.size(), 6u);
  EXPECT_EQ(map[0].size(), cv::Size(15, 11));
}

// OpenFace's sample1.jpg: one face, ~216 px.
cv::Mat sample1() {
  const auto file = *test::shared_dir() / "videos" / "openface-samples" / "sample1.jpg";
  return cv::imread(file.string(), cv::IMREAD_COLOR);
}

TEST(MtcnnShared, FindsTheFaceInSample1) {
  FACEMIRROR_REQUIRE_SHARED();
  const cv::Mat image = sample1();
  ASSERT_FALSE(image.empty()) << "cannot read sample1.jpg";
  const auto detector = mtcnn_detector::load(model_dir().string());
  const auto faces = detector.detect(image);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_GT(faces[0].score, 0.9);
  EXPECT_LE(faces[0].score, 1.0);
  // The face dlib's HOG detector finds: ~216 px, centred near (198, 174), brow to chin. The
  // corrected MTCNN box covers the same region.
  const cv::Rect2d hog_face(198 - 108, 174 - 108, 216, 216);
  EXPECT_GT(overlap(mtcnn_box_to_clnf(faces[0].box), hog_face), 0.5);
  EXPECT_GT(overlap(faces[0].box, hog_face), 0.4);
}

// The smallest face searched for bounds the pyramid: the ~216 px face is found when searching
// from 100 px up, not from 400 px up; the default size is what detect(image) uses.
TEST(MtcnnShared, MinimumFaceSizeBoundsTheSearch) {
  FACEMIRROR_REQUIRE_SHARED();
  const cv::Mat image = sample1();
  ASSERT_FALSE(image.empty()) << "cannot read sample1.jpg";
  const auto detector = mtcnn_detector::load(model_dir().string());
  const auto by_default = detector.detect(image);
  const auto same = detector.detect(image, detector.options().min_face_px);
  ASSERT_EQ(by_default.size(), 1u);
  ASSERT_EQ(same.size(), 1u);
  EXPECT_EQ(same[0].box, by_default[0].box);
  const auto from_100 = detector.detect(image, 100);
  ASSERT_EQ(from_100.size(), 1u);
  EXPECT_GT(overlap(from_100[0].box, by_default[0].box), 0.7);
  EXPECT_TRUE(detector.detect(image, 400).empty());
  EXPECT_THROW((void)detector.detect(image, 5), error);
}

TEST(MtcnnShared, TruncatedFileIsReportedByName) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto dir = test::scratch_dir();
  for (const char* name : {"PNet.dat", "RNet.dat", "ONet.dat"})
    std::filesystem::copy_file(model_dir() / name, dir / name);
  {
    std::ifstream in(model_dir() / "RNet.dat", std::ios::binary);
    const std::string bytes(std::istreambuf_iterator<char>(in), {});
    std::filesystem::remove(dir / "RNet.dat");
    std::ofstream(dir / "RNet.dat", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  try {
    (void)mtcnn_detector::load(dir.string());
    FAIL() << "a truncated RNet.dat was accepted";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_code::model_format);
    EXPECT_NE(std::string(e.what()).find("RNet.dat"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)mtcnn_detector::load((dir / "missing").string()), error);
}

TEST(Mtcnn, ClnfCorrection) {
  const cv::Rect2d r = mtcnn_box_to_clnf(cv::Rect2d(100, 200, 100, 200));
  EXPECT_NEAR(r.x, 99.25, 1e-9);
  EXPECT_NEAR(r.y, 249.18, 1e-9);
  EXPECT_NEAR(r.width, 103.23, 1e-9);
  EXPECT_NEAR(r.height, 155.02, 1e-9);
}

}  // namespace
}  // namespace facemirror

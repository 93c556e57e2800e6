// mtcnn_detector with OpenFace's weights: loads the nets, finds the face in sample1.jpg,
// reports malformed weight files by name.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

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

// The nets' arithmetic is cv::gemm's (see mtcnn_net.cpp): a forward pass written with cv::gemm
// must give the same bits on every output, on the net sizes re-detection runs (PNet on a
// pyramid level, RNet and ONet on crops), whichever of its two paths a layer takes.
std::vector<cv::Mat> forward_with_cv_gemm(const mtcnn_net& net, const cv::Mat& input) {
  int h = input.rows, w = input.cols;
  cv::Mat x = input.clone().reshape(1, h * w);  // one row per pixel, one column per channel
  for (const auto& l : net.layers) {
    const int c = x.cols;
    if (l.type == 0) {
      const int oh = h - l.kh + 1, ow = w - l.kw + 1;
      cv::Mat cols(oh * ow, c * l.kh * l.kw, CV_32F);
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox) {
          int q = 0;
          for (int ci = 0; ci < c; ++ci)
            for (int dy = 0; dy < l.kh; ++dy)
              for (int dx = 0; dx < l.kw; ++dx)
                cols.at<float>(oy * ow + ox, q++) = x.at<float>((oy + dy) * w + ox + dx, ci);
        }
      cv::gemm(cols, l.weights, 1.0, cv::noArray(), 0.0, x);
      h = oh;
      w = ow;
    } else if (l.type == 1) {
      auto out_size = [](int n, int k, int s) {
        const int o = int(std::ceil(double(n - k) / s)) + 1;
        return (o - 1) * s >= n ? o - 1 : o;
      };
      const int oh = out_size(h, l.kh, l.stride_y), ow = out_size(w, l.kw, l.stride_x);
      cv::Mat y(oh * ow, c, CV_32F, cv::Scalar(-1e30));
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox)
          for (int iy = oy * l.stride_y; iy < std::min(h, oy * l.stride_y + l.kh); ++iy)
            for (int ix = ox * l.stride_x; ix < std::min(w, ox * l.stride_x + l.kw); ++ix)
              for (int ci = 0; ci < c; ++ci)
                y.at<float>(oy * ow + ox, ci) =
                    std::max(y.at<float>(oy * ow + ox, ci), x.at<float>(iy * w + ix, ci));
      x = y;
      h = oh;
      w = ow;
      continue;
    } else if (l.type == 2) {
      cv::Mat in = x;
      if (c != l.weights.rows) {  // flattened channel by channel, column by column
        in.create(1, h * w * c, CV_32F);
        int q = 0;
        for (int ci = 0; ci < c; ++ci)
          for (int col = 0; col < w; ++col)
            for (int row = 0; row < h; ++row)
              in.at<float>(0, q++) = x.at<float>(row * w + col, ci);
        h = w = 1;
      }
      cv::gemm(in, l.weights, 1.0, cv::noArray(), 0.0, x);
    } else {
      for (int r = 0; r < x.rows; ++r)
        for (int ci = 0; ci < c; ++ci)
          if (x.at<float>(r, ci) < 0)
            x.at<float>(r, ci) *= l.weights.at<float>(0, ci);
      continue;
    }
    for (int r = 0; r < x.rows; ++r)
      x.row(r) += l.bias;
  }
  std::vector<cv::Mat> out;
  for (int ci = 0; ci < x.cols; ++ci)
    out.push_back(x.col(ci).clone().reshape(1, h));
  return out;
}

TEST(MtcnnShared, ForwardRoundsAsCvGemm) {
  FACEMIRROR_REQUIRE_SHARED();
  cv::RNG rng(7);
  for (const auto& [name, h, w] :
       {std::tuple{"PNet.dat", 30, 41}, std::tuple{"PNet.dat", 90, 120},
        std::tuple{"RNet.dat", 24, 24}, std::tuple{"ONet.dat", 48, 48}}) {
    const auto net = mtcnn_net::load((model_dir() / name).string());
    for (int trial = 0; trial < 3; ++trial) {
      cv::Mat input(h, w, CV_32FC3);
      rng.fill(input, cv::RNG::UNIFORM, -1.0, 1.0);
      const auto fast = net.forward(input);
      const auto reference = forward_with_cv_gemm(net, input);
      ASSERT_EQ(fast.size(), reference.size()) << name;
      for (size_t i = 0; i < fast.size(); ++i) {
        ASSERT_EQ(fast[i].size(), reference[i].size()) << name << " output " << i;
        EXPECT_EQ(cv::countNonZero(fast[i] != reference[i]), 0) << name << " output " << i;
      }
    }
  }
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

// A BGRA frame (a screen grab, a PNG with alpha) is the BGR frame to the detector: its alpha
// is ignored, as everywhere else in the analysis.
TEST(MtcnnShared, BgraIsItsBgr) {
  FACEMIRROR_REQUIRE_SHARED();
  const cv::Mat image = sample1();
  ASSERT_FALSE(image.empty()) << "cannot read sample1.jpg";
  const auto detector = mtcnn_detector::load(model_dir().string());
  cv::Mat bgra;
  cv::cvtColor(image, bgra, cv::COLOR_BGR2BGRA);
  const auto from_bgr = detector.detect(image);
  const auto from_bgra = detector.detect(bgra);
  ASSERT_EQ(from_bgr.size(), 1u);
  ASSERT_EQ(from_bgra.size(), 1u);
  EXPECT_EQ(from_bgra[0].box, from_bgr[0].box);
  EXPECT_EQ(from_bgra[0].score, from_bgr[0].score);
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

#include <cmath>
#include <fstream>

#include <gtest/gtest.h>

#include "facemirror/align/face_aligner.h"
#include "facemirror/error.h"

#include "support/test_data.h"

namespace facemirror {
namespace {

TEST(AlignShapes, RecoversScaleAndRotation) {
  const double angle = 0.3, scale = 1.7;
  const cv::Matx22d truth(scale * std::cos(angle), -scale * std::sin(angle),
                          scale * std::sin(angle), scale * std::cos(angle));
  std::vector<cv::Point2d> src = {{0, 0}, {10, 1}, {3, 7}, {-4, 5}, {2, -6}};
  std::vector<cv::Point2d> dst;
  for (const auto& p : src) {
    const cv::Vec2d q = truth * cv::Vec2d(p.x, p.y);
    dst.emplace_back(q[0] + 40, q[1] - 12);  // translation must not matter
  }
  const cv::Matx22d a = align_shapes_with_scale(src, dst);
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(a.val[i], truth.val[i], 1e-12);
}

TEST(AlignShapes, NeverReflects) {
  std::vector<cv::Point2d> src = {{0, 0}, {10, 0}, {0, 5}, {3, 3}};
  std::vector<cv::Point2d> dst;
  for (const auto& p : src)
    dst.emplace_back(-p.x, p.y);  // a mirror image
  const cv::Matx22d a = align_shapes_with_scale(src, dst);
  EXPECT_GT(cv::determinant(cv::Mat(a)), 0.0);
}

TEST(TriangleMask, CoversEdgesAndVerticesInclusively) {
  const std::vector<cv::Point2f> pts = {{1, 1}, {5, 1}, {1, 5}};
  const triangulation tris({{0, 1, 2}});
  const auto mask = triangle_mask(pts, tris, {8, 8});
  EXPECT_EQ(mask(1, 1), 1);  // vertex
  EXPECT_EQ(mask(1, 5), 1);  // vertex (row 1, col 5)
  EXPECT_EQ(mask(3, 3), 1);  // on the hypotenuse x + y = 6
  EXPECT_EQ(mask(4, 3), 0);  // just outside it
  EXPECT_EQ(mask(0, 0), 0);
  EXPECT_EQ(cv::countNonZero(mask), 15);  // 5 + 4 + 3 + 2 + 1 lattice points
}

TEST(TriangleMask, ClipsToTheImage) {
  const std::vector<cv::Point2f> pts = {{-10, -10}, {20, -10}, {-10, 20}};
  const auto mask = triangle_mask(pts, triangulation({{0, 1, 2}}), {4, 4});
  EXPECT_EQ(cv::countNonZero(mask), 16);
}

// A diverged fit can put landmarks far outside any int range (UBSan: float-cast-overflow).
TEST(TriangleMask, ClipsLandmarksBeyondIntRange) {
  const std::vector<cv::Point2f> pts = {{-3e10f, -3e10f}, {3e10f, -3e10f}, {-3e10f, 3e10f}};
  const auto mask = triangle_mask(pts, triangulation({{0, 1, 2}}), {4, 4});
  EXPECT_EQ(cv::countNonZero(mask), 16);
}

TEST(Triangulation, LoadsAndValidates) {
  const auto dir = test::scratch_dir();
  std::ofstream(dir / "ok.txt") << "2\n3\n4\n0 1 2\n2 3 0\n";
  EXPECT_EQ(triangulation::load(dir / "ok.txt", 4).triangles().size(), 2u);
  std::ofstream(dir / "range.txt") << "1\n3\n4\n0 1 4\n";
  EXPECT_THROW((void)triangulation::load(dir / "range.txt", 4), error);
  std::ofstream(dir / "short.txt") << "2\n3\n4\n0 1 2\n";
  EXPECT_THROW((void)triangulation::load(dir / "short.txt", 4), error);
  EXPECT_THROW((void)triangulation::load(dir / "none.txt", 4), error);
}

}  // namespace
}  // namespace facemirror

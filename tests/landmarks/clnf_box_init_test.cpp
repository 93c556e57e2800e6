// Unit tests for CLNF's start from a face box (no shared data needed): OpenFace's
// PDM::CalcParams(bounding box) rule on a synthetic PDM, and the rotation hypotheses.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "facemirror/landmarks/clnf.h"

#include "support/test_data.h"

namespace facemirror {
namespace {

constexpr int kModes = 4;

// A face-sized PDM in OpenFace's text format: mean points on a squashed half-ellipsoid (mm),
// wider than tall so that the two box ratios differ, and a few orthonormal components.
point_distribution_model synthetic_pdm() {
  const int n = landmark_count;
  cv::Mat_<double> mean(3 * n, 1);
  for (int i = 0; i < n; ++i) {
    const double t = 2 * CV_PI * i / n, u = 0.8 * std::sin(3.0 * i);
    mean(i, 0) = 75 * std::cos(t) * std::cos(u) + 3;
    mean(n + i, 0) = 60 * std::sin(t) * std::cos(u) - 5;
    mean(2 * n + i, 0) = 35 * std::sin(u);
  }
  cv::Mat_<double> comps(3 * n, kModes);
  cv::RNG rng(11);
  rng.fill(comps, cv::RNG::NORMAL, 0, 1);
  cv::SVD svd(comps, cv::SVD::MODIFY_A);
  comps = svd.u.clone();
  std::ostringstream out;
  out.precision(17);
  out << "# mean\n" << 3 * n << "\n1\n6\n";
  for (int r = 0; r < 3 * n; ++r)
    out << mean(r, 0) << "\n";
  out << "# components\n" << 3 * n << "\n" << kModes << "\n6\n";
  for (int r = 0; r < 3 * n; ++r) {
    for (int k = 0; k < kModes; ++k)
      out << comps(r, k) << " ";
    out << "\n";
  }
  out << "# eigenvalues\n1\n" << kModes << "\n6\n";
  for (int k = 0; k < kModes; ++k)
    out << 400.0 / (k + 1) << " ";
  out << "\n";
  const auto file = test::scratch_dir() / "box_pdm.txt";
  std::ofstream(file) << out.str();
  return point_distribution_model::load(file);
}

struct extent {
  double lo_x, hi_x, lo_y, hi_y;
};

extent extent_of(const landmarks_2d& pts) {
  extent e{pts[0].x, pts[0].x, pts[0].y, pts[0].y};
  for (const auto& p : pts) {
    e.lo_x = std::min(e.lo_x, p.x);
    e.hi_x = std::max(e.hi_x, p.x);
    e.lo_y = std::min(e.lo_y, p.y);
    e.hi_y = std::max(e.hi_y, p.y);
  }
  return e;
}

TEST(clnf_box_init, frontal_mean_shape_spans_a_box_of_its_own_aspect) {
  const auto pdm = synthetic_pdm();
  // The mean shape's own extent at scale 1, no rotation.
  pdm_params unit;
  unit.local.assign(kModes, 0.0);
  const extent m = extent_of(pdm.project(unit));
  const double w = m.hi_x - m.lo_x, h = m.hi_y - m.lo_y;
  const cv::Rect2d box(100.5, 60.25, 2.5 * w, 2.5 * h);

  const pdm_params p = clnf_params_in_box(pdm, box);
  EXPECT_NEAR(p.scale, 2.5, 1e-12);
  EXPECT_EQ(p.rx, 0.0);
  EXPECT_EQ(p.ry, 0.0);
  EXPECT_EQ(p.rz, 0.0);
  ASSERT_EQ(p.local.size(), static_cast<size_t>(kModes));
  for (double l : p.local)
    EXPECT_EQ(l, 0.0);
  const extent e = extent_of(pdm.project(p));
  EXPECT_NEAR(e.lo_x, box.x, 1e-9);
  EXPECT_NEAR(e.hi_x, box.x + box.width, 1e-9);
  EXPECT_NEAR(e.lo_y, box.y, 1e-9);
  EXPECT_NEAR(e.hi_y, box.y + box.height, 1e-9);
}

TEST(clnf_box_init, scale_is_the_mean_of_the_two_ratios_and_the_extent_is_centred) {
  const auto pdm = synthetic_pdm();
  const cv::Rect2d box(200, 150, 180, 240);  // not the shape's aspect
  for (const cv::Vec3d& rot : {cv::Vec3d(0, 0, 0), cv::Vec3d(0, 0.5236, 0),
                               cv::Vec3d(0.2, -0.96, 0.1), cv::Vec3d(0, 1.22, -0.698)}) {
    pdm_params unit;
    unit.rx = rot[0], unit.ry = rot[1], unit.rz = rot[2];
    unit.local.assign(kModes, 0.0);
    const extent m = extent_of(pdm.project(unit));  // rotated mean shape at scale 1
    const double expected = (box.width / (m.hi_x - m.lo_x) + box.height / (m.hi_y - m.lo_y)) / 2;

    const pdm_params p = clnf_params_in_box(pdm, box, rot);
    EXPECT_NEAR(p.scale, expected, 1e-12) << rot;
    EXPECT_EQ(p.rx, rot[0]);
    EXPECT_EQ(p.ry, rot[1]);
    EXPECT_EQ(p.rz, rot[2]);
    const extent e = extent_of(pdm.project(p));
    EXPECT_NEAR((e.lo_x + e.hi_x) / 2, box.x + box.width / 2, 1e-9) << rot;
    EXPECT_NEAR((e.lo_y + e.hi_y) / 2, box.y + box.height / 2, 1e-9) << rot;
    EXPECT_NEAR(e.hi_x - e.lo_x, expected * (m.hi_x - m.lo_x), 1e-9) << rot;
  }
}

TEST(clnf_box_init, empty_box_gives_no_scale) {
  const auto pdm = synthetic_pdm();
  EXPECT_EQ(clnf_params_in_box(pdm, cv::Rect2d(10, 10, 0, 50)).scale, 0.0);
  EXPECT_EQ(clnf_params_in_box(pdm, cv::Rect2d(10, 10, 50, -1)).scale, 0.0);
  EXPECT_EQ(clnf_params_in_box(pdm, cv::Rect2d()).scale, 0.0);
}

TEST(clnf_box_init, openface_rotation_hypotheses) {
  const auto& r = clnf_box_rotations();
  ASSERT_EQ(r.size(), 11u);
  EXPECT_EQ(r.front(), cv::Vec3d(0, 0, 0));  // frontal first: it wins ties
  for (const cv::Vec3d& v : r)
    EXPECT_EQ(v[0], 0.0);  // OpenFace varies yaw and roll only
  EXPECT_EQ(r[1], cv::Vec3d(0, -0.5236, 0));
  EXPECT_EQ(r[10], cv::Vec3d(0, 1.22, -0.698));
}

}  // namespace
}  // namespace facemirror

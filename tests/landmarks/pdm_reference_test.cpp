// Validates the PDM fit, head pose and camera-space landmarks against OpenFace 2.2's own CSVs
// (the landmarks, p_*, pose_* and X/Y/Z columns of one FeatureExtraction run).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "facemirror/landmarks/pdm.h"

#include "support/reference_csv.h"
#include "support/test_data.h"

namespace facemirror {
namespace {

double rms(const landmarks_2d& a, const landmarks_2d& b) {
  double s = 0;
  for (int i = 0; i < landmark_count; ++i)
    s += std::pow(a[i].x - b[i].x, 2) + std::pow(a[i].y - b[i].y, 2);
  return std::sqrt(s / landmark_count);
}

// Running max / mean of |difference|.
struct stat {
  double max = 0, sum = 0;
  long count = 0;
  void add(double d) { max = std::max(max, std::abs(d)), sum += std::abs(d), ++count; }
  double mean() const { return count ? sum / count : 0; }
};

std::ostream& operator<<(std::ostream& os, const stat& s) {
  return os << "mean " << s.mean() << " max " << s.max;
}

struct video_case {
  const char* csv;
  int width, height;
};

// Keeps the gtest/ctest names free of raw bytes (pointer values would change every build).
void PrintTo(const video_case& v, std::ostream* os) {
  *os << v.csv;
}

class pdm_reference : public ::testing::TestWithParam<video_case> {};

TEST_P(pdm_reference, matches_openface) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto shared = *test::shared_dir();
  const auto pdm = point_distribution_model::load(
      shared / "models/openface/model/pdms/In-the-wild_aligned_PDM_68.txt");
  const test::reference_csv csv(shared / "reference/openface22" / GetParam().csv);
  const auto cam = camera_intrinsics::guess(GetParam().width, GetParam().height);
  ASSERT_GT(csv.rows(), 100u);

  stat fit_rms, ref_rms, d_scale, d_rot, d_t, d_local, d_local_sd;
  stat pose_t, pose_r, wp_t, wp_r, xyz;
  double fit_seconds = 0, pose_seconds = 0;
  int fits = 0;
  for (size_t r = 0; r < csv.rows(); ++r) {
    if (csv.at(r, "success") != 1)
      continue;
    const landmarks_2d lm = csv.landmarks(r);
    const pdm_params ref = csv.params(r, pdm.mode_count());

    const auto t0 = std::chrono::steady_clock::now();
    const pdm_params fitted = pdm.fit(lm);
    fit_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++fits;
    fit_rms.add(rms(pdm.project(fitted), lm));
    ref_rms.add(rms(pdm.project(ref), lm));
    d_scale.add(fitted.scale - ref.scale);
    d_rot.add(fitted.rx - ref.rx), d_rot.add(fitted.ry - ref.ry), d_rot.add(fitted.rz - ref.rz);
    d_t.add(fitted.tx - ref.tx), d_t.add(fitted.ty - ref.ty);
    for (int k = 0; k < pdm.mode_count(); ++k) {
      d_local.add(fitted.local[k] - ref.local[k]);
      d_local_sd.add((fitted.local[k] - ref.local[k]) / std::sqrt(pdm.eigenvalues()(0, k)));
    }

    const auto t1 = std::chrono::steady_clock::now();
    const head_pose pose = estimate_head_pose(pdm, ref, lm, cam);
    pose_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    pose_t.add(pose.tx - csv.at(r, "pose_Tx")), pose_t.add(pose.ty - csv.at(r, "pose_Ty"));
    pose_t.add(pose.tz - csv.at(r, "pose_Tz"));
    pose_r.add(pose.rx - csv.at(r, "pose_Rx")), pose_r.add(pose.ry - csv.at(r, "pose_Ry"));
    pose_r.add(pose.rz - csv.at(r, "pose_Rz"));
    const head_pose wp = estimate_head_pose(ref, cam);
    wp_t.add(wp.tz - csv.at(r, "pose_Tz"));
    wp_r.add(wp.rx - csv.at(r, "pose_Rx"));

    const landmarks_3d pts = landmarks_in_camera_space(pdm, ref, lm, cam);
    for (int i = 0; i < landmark_count; ++i) {
      const std::string id = std::to_string(i);
      xyz.add(pts[i].x - csv.at(r, "X_" + id)), xyz.add(pts[i].y - csv.at(r, "Y_" + id));
      xyz.add(pts[i].z - csv.at(r, "Z_" + id));
    }
  }
  std::cout << GetParam().csv << ": " << fits << " frames\n"
            << "  reprojection RMS px, fit(lm):        " << fit_rms << "\n"
            << "  reprojection RMS px, reference p_*:  " << ref_rms << "\n"
            << "  |fit - ref| scale:                   " << d_scale << "\n"
            << "  |fit - ref| rx/ry/rz rad:            " << d_rot << "\n"
            << "  |fit - ref| tx/ty px:                " << d_t << "\n"
            << "  |fit - ref| p_local:                 " << d_local << "\n"
            << "  |fit - ref| p_local / sqrt(eigval):  " << d_local_sd << "\n"
            << "  pose T mm (PnP):                     " << pose_t << "\n"
            << "  pose R rad (PnP):                    " << pose_r << "\n"
            << "  pose Tz mm (weak perspective only):  " << wp_t << "\n"
            << "  pose Rx rad (weak perspective only): " << wp_r << "\n"
            << "  X/Y/Z mm:                            " << xyz << "\n"
            << "  fit time us/call:                    " << 1e6 * fit_seconds / fits << "\n"
            << "  PnP pose time us/call:               " << 1e6 * pose_seconds / fits << "\n";

  // Tolerances are about twice what was measured on default.csv and subj01 (see the report
  // in the module notes): the landmarks are printed to 0.1 px, p_* to 3 decimals, pose and
  // X/Y/Z to 0.1 mm / 0.001 rad, and OpenFace's p_* come from its CLNF tracker rather than
  // from CalcParams, so the refit is close but not identical.
  EXPECT_GT(fits, 100);
  // Reference p_* reproduce the printed landmarks: pins grouped storage and Rx*Ry*Rz.
  EXPECT_LT(ref_rms.max, 0.15);
  // The refit reproduces the landmarks and OpenFace's global parameters.
  EXPECT_LT(fit_rms.mean(), 0.25);
  EXPECT_LT(fit_rms.max, 0.35);
  EXPECT_LT(d_scale.max, 0.015);
  EXPECT_LT(d_rot.mean(), 0.005);
  EXPECT_LT(d_rot.max, 0.02);
  EXPECT_LT(d_t.max, 0.05);
  EXPECT_LT(d_local_sd.mean(), 0.2);
  EXPECT_LT(d_local_sd.max, 1.5);
  // Pose: perspective-refined pose matches to print precision (0.05 mm, 0.0005 rad rounding).
  EXPECT_LT(pose_t.mean(), 0.05);
  EXPECT_LT(pose_t.max, 0.25);
  EXPECT_LT(pose_r.mean(), 0.0005);
  EXPECT_LT(pose_r.max, 0.0015);
  // Camera-space landmarks.
  EXPECT_LT(xyz.mean(), 0.1);
  EXPECT_LT(xyz.max, 0.6);
}

INSTANTIATE_TEST_SUITE_P(openface22, pdm_reference,
                         ::testing::Values(video_case{"default.csv", 640, 480},
                                           video_case{"subj01_timepoint01.csv", 1080, 720}),
                         [](const ::testing::TestParamInfo<video_case>& param_info) {
                           return param_info.index == 0 ? "default" : "subj01";
                         });

}  // namespace
}  // namespace facemirror

// Unit tests for the PDM (no shared data needed): a synthetic model written in OpenFace's
// text format, parameter recovery from exact projections, load errors, pose and geometry.
#include "facemirror/landmarks/pdm.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "facemirror/error.h"

#include "landmarks/rotation.h"
#include "support/test_data.h"

namespace facemirror {
namespace {

constexpr int kModes = 8;

// A face-sized synthetic PDM: mean points on a half-ellipsoid (mm), orthonormal random
// components, decreasing eigenvalues, written like OpenFace's files.
// `offset` moves the mean shape off the model origin (as the CLNF's part models' are).
std::string synthetic_pdm_text(int n = landmark_count, cv::Point2d offset = {0, 0}) {
  cv::Mat_<double> mean(3 * n, 1);
  for (int i = 0; i < n; ++i) {
    const double t = 2 * CV_PI * i / n, u = 0.9 * std::sin(5.0 * i);
    mean(i, 0) = 70 * std::cos(t) * std::cos(u) + offset.x;
    mean(n + i, 0) = 80 * std::sin(t) * std::cos(u) + offset.y;
    mean(2 * n + i, 0) = 40 * std::sin(u);
  }
  cv::Mat_<double> comps(3 * n, kModes);
  cv::RNG rng(7);
  rng.fill(comps, cv::RNG::NORMAL, 0, 1);
  cv::SVD svd(comps, cv::SVD::MODIFY_A);
  comps = svd.u.clone();  // orthonormal columns
  std::ostringstream out;
  out.precision(17);
  out << "# The mean values of the components (in mm)\n" << 3 * n << "\n1\n6\n";
  for (int r = 0; r < 3 * n; ++r)
    out << mean(r, 0) << " \n";
  out << "# The principal components (eigenvectors)\n" << 3 * n << "\n" << kModes << "\n6\n";
  for (int r = 0; r < 3 * n; ++r) {
    for (int k = 0; k < kModes; ++k)
      out << comps(r, k) << " ";
    out << "\n";
  }
  out << "# The variances of the components (eigenvalues)\n1\n" << kModes << "\n6\n";
  for (int k = 0; k < kModes; ++k)
    out << 900.0 / (k + 1) << " ";
  out << "\n";
  return out.str();
}

std::filesystem::path write(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file) << text;
  return file;
}

point_distribution_model synthetic_pdm() {
  static const std::string text = synthetic_pdm_text();
  return point_distribution_model::load(write(test::scratch_dir() / "pdm.txt", text));
}

pdm_params some_params() {
  pdm_params p;
  p.scale = 1.7, p.rx = 0.15, p.ry = -0.3, p.rz = 0.08, p.tx = 321.5, p.ty = 244.25;
  p.local = {12, -8, 5, 3, -4, 2, 1, -1};
  return p;
}

void expect_load_error(const std::filesystem::path& file, const std::string& reason) {
  try {
    (void)point_distribution_model::load(file);
    FAIL() << "expected an error for " << reason;
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_code::model_format);
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
  }
}

TEST(pdm, loads_openface_text_format) {
  const auto pdm = synthetic_pdm();
  EXPECT_EQ(pdm.point_count(), landmark_count);
  EXPECT_EQ(pdm.mode_count(), kModes);
  EXPECT_EQ(pdm.mean_shape().rows, 3 * landmark_count);
  EXPECT_EQ(pdm.eigenvalues().cols, kModes);
  EXPECT_NEAR(pdm.eigenvalues()(0, 1), 450.0, 1e-9);
  EXPECT_NEAR(pdm.mean_shape()(0, 0), 70.0, 1e-9);
}

TEST(pdm, load_errors_name_the_file) {
  const auto dir = test::scratch_dir();
  const std::string text = synthetic_pdm_text();
  expect_load_error(dir / "missing.txt", "missing file");
  // A folder opens as a stream on Linux and fails only when read (found by fuzz_clnf_main).
  expect_load_error(dir, "a folder");
  expect_load_error(write(dir / "truncated.txt", text.substr(0, text.size() / 2)), "truncated");
  expect_load_error(write(dir / "empty.txt", ""), "empty");
  expect_load_error(write(dir / "garbage.txt", "# mean\n204\n1\n6\nabc\n"), "garbage");
  expect_load_error(write(dir / "bad_type.txt", "# mean\n204\n1\n9\n"), "type");
  std::string wrong_count = text;
  wrong_count.replace(wrong_count.rfind("\n1\n8\n6\n"), 7, "\n1\n7\n6\n");
  expect_load_error(write(dir / "wrong_count.txt", wrong_count), "eigenvalue count");
}

// Found reading the reader, confirmed by fuzz/fuzz_pdm: a header announcing 100000 x 100000 values
// made the reader allocate 80 GB before reading one (std::bad_alloc or cv::Exception instead of a
// model_format error). Loaded for any point count (the CLNF's part models), the same file fails.
TEST(pdm, header_larger_than_the_file_fails_before_allocating) {
  const auto file = write(test::scratch_dir() / "huge.txt", "# mean\n100000\n100000\n6\n1 2 3\n");
  expect_load_error(file, "huge header");
  EXPECT_THROW((void)point_distribution_model::load(
                   write(test::scratch_dir() / "huge_shape.txt", "100000 1000 6\n1 2 3\n"),
                   point_distribution_model::any_point_count),
               error);
}

TEST(pdm, shapes_are_grouped_xyz) {
  const auto pdm = synthetic_pdm();
  const auto p = some_params();
  const cv::Mat_<double> variation = pdm.shape_variation(p.local);
  const cv::Mat_<double> shape = pdm.shape_3d(p.local);
  ASSERT_EQ(shape.rows, 3 * landmark_count);
  cv::Mat_<double> expected = pdm.components() * cv::Mat_<double>(p.local);
  EXPECT_LT(cv::norm(variation - expected), 1e-9);
  EXPECT_LT(cv::norm(shape - (pdm.mean_shape() + expected)), 1e-9);
  EXPECT_LT(cv::norm(pdm.shape_3d({}) - pdm.mean_shape()), 1e-12);  // empty = mean
}

TEST(pdm, project_uses_rx_ry_rz_weak_perspective) {
  const auto pdm = synthetic_pdm();
  const auto p = some_params();
  const cv::Mat_<double> shape = pdm.shape_3d(p.local);
  const cv::Matx33d r =
      cv::Matx33d(1, 0, 0, 0, std::cos(p.rx), -std::sin(p.rx), 0, std::sin(p.rx), std::cos(p.rx)) *
      cv::Matx33d(std::cos(p.ry), 0, std::sin(p.ry), 0, 1, 0, -std::sin(p.ry), 0, std::cos(p.ry)) *
      cv::Matx33d(std::cos(p.rz), -std::sin(p.rz), 0, std::sin(p.rz), std::cos(p.rz), 0, 0, 0, 1);
  const auto lm = pdm.project(p);
  const int n = landmark_count;
  for (int i : {0, 17, 33, 67}) {
    const cv::Vec3d q = r * cv::Vec3d(shape(i, 0), shape(n + i, 0), shape(2 * n + i, 0));
    EXPECT_NEAR(lm[i].x, p.scale * q[0] + p.tx, 1e-9);
    EXPECT_NEAR(lm[i].y, p.scale * q[1] + p.ty, 1e-9);
  }
}

TEST(pdm, rotation_helpers_round_trip) {
  const cv::Vec3d e(0.3, -0.5, 1.2);
  const cv::Vec3d back = detail::rotation_to_euler(detail::euler_to_rotation(e));
  EXPECT_LT(cv::norm(back - e), 1e-12);
  // The closed-form orthonormalisation equals the SVD polar factor of I + [w]x.
  const cv::Vec3d w(0.05, -0.02, 0.08);
  const cv::Matx33d a(1, -w[2], w[1], w[2], 1, -w[0], -w[1], w[0], 1);
  cv::SVD svd{cv::Mat(a)};
  const cv::Mat_<double> polar = svd.u * svd.vt;
  EXPECT_LT(cv::norm(cv::Mat(detail::orthonormalised_small_rotation(w)) - polar), 1e-12);
}

TEST(pdm, fit_recovers_rigid_params_exactly) {
  const auto pdm = synthetic_pdm();
  auto truth = some_params();
  truth.local.assign(kModes, 0.0);  // no shape: the regulariser has nothing to pull on
  const auto fitted = pdm.fit(pdm.project(truth));
  EXPECT_NEAR(fitted.scale, truth.scale, 1e-6);
  EXPECT_NEAR(fitted.rx, truth.rx, 1e-6);
  EXPECT_NEAR(fitted.ry, truth.ry, 1e-6);
  EXPECT_NEAR(fitted.rz, truth.rz, 1e-6);
  EXPECT_NEAR(fitted.tx, truth.tx, 1e-4);
  EXPECT_NEAR(fitted.ty, truth.ty, 1e-4);
  for (double v : fitted.local)
    EXPECT_NEAR(v, 0.0, 1e-4);
}

double rms(const landmarks_2d& a, const landmarks_2d& b) {
  double s = 0;
  for (int i = 0; i < landmark_count; ++i)
    s +=
        std::hypot(a[i].x - b[i].x, a[i].y - b[i].y) * std::hypot(a[i].x - b[i].x, a[i].y - b[i].y);
  return std::sqrt(s / landmark_count);
}

TEST(pdm, fit_recovers_shape_and_pose) {
  const auto pdm = synthetic_pdm();
  const auto truth = some_params();
  const auto lm = pdm.project(truth);
  const auto t0 = std::chrono::steady_clock::now();
  const auto fitted = pdm.fit(lm);
  std::cout
      << "fit: "
      << std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count()
      << " us\n";
  // The 1/eigenvalue prior shrinks the shape weights slightly, so recovery is close, not exact.
  EXPECT_LT(rms(pdm.project(fitted), lm), 0.05);
  EXPECT_NEAR(fitted.scale, truth.scale, 0.01);
  EXPECT_NEAR(fitted.rx, truth.rx, 0.01);
  EXPECT_NEAR(fitted.ry, truth.ry, 0.01);
  EXPECT_NEAR(fitted.rz, truth.rz, 0.01);
  for (int k = 0; k < kModes; ++k)
    EXPECT_NEAR(fitted.local[k], truth.local[k], 0.5) << k;
}

TEST(pdm, fit_ignores_points_with_zero_x) {
  const auto pdm = synthetic_pdm();
  const auto truth = some_params();
  auto lm = pdm.project(truth);
  for (int i = 0; i < 20; ++i)
    lm[3 * i] = {0, 0};
  const auto fitted = pdm.fit(lm);
  const auto full = pdm.project(fitted), expected = pdm.project(truth);
  EXPECT_LT(rms(full, expected), 0.2);  // hidden points are predicted too
  EXPECT_NEAR(fitted.ry, truth.ry, 0.01);
}

TEST(pdm, fit_without_enough_points_returns_no_fit) {
  const auto pdm = synthetic_pdm();
  landmarks_2d lm{};
  lm[0] = {10, 10};
  lm[1] = {20, 30};
  const auto fitted = pdm.fit(lm);
  EXPECT_EQ(fitted.scale, 0.0);
  EXPECT_EQ(static_cast<int>(fitted.local.size()), kModes);
}

// The CLNF's part models are PDMs of other point counts whose mean shape is off the origin.
TEST(pdm, any_point_count_fits_from_either_start) {
  const auto file = write(test::scratch_dir() / "part_pdm.txt", synthetic_pdm_text(28, {30, -20}));
  expect_load_error(file, "a 28-point file loaded as the 68-point model");
  const auto pdm = point_distribution_model::load(file, point_distribution_model::any_point_count);
  ASSERT_EQ(pdm.point_count(), 28);
  auto truth = some_params();
  truth.local.assign(kModes, 0.0);
  const std::vector<cv::Point2d> points = pdm.project_points(truth);
  using start = point_distribution_model::fit_start;
  for (const start s : {start::origin_at_box_centre, start::mean_box_at_box_centre}) {
    const pdm_params fitted = pdm.fit(points, s);
    EXPECT_NEAR(fitted.scale, truth.scale, 1e-6);
    EXPECT_NEAR(fitted.ry, truth.ry, 1e-6);
    EXPECT_NEAR(fitted.tx, truth.tx, 1e-4);
    EXPECT_NEAR(fitted.ty, truth.ty, 1e-4);
  }
}

// The fitter's Jacobian against finite differences of the projection (rotation columns:
// increments composed on the right, as apply_step applies them).
TEST(pdm, jacobian_matches_finite_differences) {
  const auto pdm = point_distribution_model::load(
      write(test::scratch_dir() / "part_pdm.txt", synthetic_pdm_text(28, {30, -20})),
      point_distribution_model::any_point_count);
  const pdm_params p = some_params();
  cv::Mat_<double> j;
  pdm.jacobian(p, false, j);
  ASSERT_EQ(j.rows, 2 * 28);
  ASSERT_EQ(j.cols, 6 + kModes);
  const std::vector<cv::Point2d> base = pdm.project_points(p);
  const double h = 1e-6;
  for (int c = 0; c < j.cols; ++c) {
    cv::Mat_<double> step(j.cols, 1, 0.0);
    step(c) = h;
    pdm_params moved = p;
    pdm.apply_step(moved, step);
    const std::vector<cv::Point2d> after = pdm.project_points(moved);
    for (int i = 0; i < 28; ++i) {
      EXPECT_NEAR((after[i].x - base[i].x) / h, j(2 * i, c), 1e-3) << "column " << c;
      EXPECT_NEAR((after[i].y - base[i].y) / h, j(2 * i + 1, c), 1e-3) << "column " << c;
    }
  }
}

TEST(pdm, camera_guess_matches_openface) {
  const auto vga = camera_intrinsics::guess(640, 480);
  EXPECT_DOUBLE_EQ(vga.fx, 500);
  EXPECT_DOUBLE_EQ(vga.fy, 500);
  EXPECT_DOUBLE_EQ(vga.cx, 320);
  EXPECT_DOUBLE_EQ(vga.cy, 240);
  EXPECT_DOUBLE_EQ(camera_intrinsics::guess(1080, 720).fx, 500 * (1080 / 640.0 + 1.5) / 2);
}

TEST(pdm, camera_setting_guesses_the_pair_not_given) {
  const camera_intrinsics guess = camera_intrinsics::guess(1080, 720);
  const camera_intrinsics none = camera_setting{}.for_frame(1080, 720);
  EXPECT_EQ(std::vector<double>({none.fx, none.fy, none.cx, none.cy}),
            std::vector<double>({guess.fx, guess.fy, guess.cx, guess.cy}));
  const camera_intrinsics focal = camera_setting{{{600, 650}}, std::nullopt}.for_frame(1080, 720);
  EXPECT_EQ(std::vector<double>({focal.fx, focal.fy, focal.cx, focal.cy}),
            std::vector<double>({600, 650, 540, 360}));
  const camera_intrinsics centre = camera_setting{std::nullopt, {{300, 200}}}.for_frame(640, 480);
  EXPECT_EQ(std::vector<double>({centre.fx, centre.fy, centre.cx, centre.cy}),
            std::vector<double>({500, 500, 300, 200}));
  EXPECT_NO_THROW(camera_setting{}.check());
  EXPECT_NO_THROW((camera_setting{std::nullopt, {{-20, 1e4}}}.check()));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const camera_setting bad :
       {camera_setting{{{0, 500}}, std::nullopt}, camera_setting{std::nullopt, {{nan, 200}}}})
    EXPECT_THROW(bad.check(), error);
}

TEST(pdm, camera_check_refuses_what_would_reach_the_pose_as_nan) {
  EXPECT_NO_THROW(camera_intrinsics::guess(640, 480).check());
  EXPECT_NO_THROW((camera_intrinsics{500, 500, -20, 1e4}.check()));  // a crop's centre may lie out
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const camera_intrinsics bad :
       {camera_intrinsics{500, 500, nan, 240}, camera_intrinsics{inf, 500, 320, 240},
        camera_intrinsics{500, 500, 320, -inf}, camera_intrinsics{0, 500, 320, 240},
        camera_intrinsics{500, -1, 320, 240}})
    EXPECT_THROW(bad.check(), error) << bad.fx << " " << bad.fy << " " << bad.cx << " " << bad.cy;
}

TEST(pdm, weak_perspective_pose) {
  const auto cam = camera_intrinsics::guess(640, 480);
  const auto pose = estimate_head_pose(some_params(), cam);
  EXPECT_DOUBLE_EQ(pose.tz, 500 / 1.7);
  EXPECT_DOUBLE_EQ(pose.tx, (321.5 - 320) * pose.tz / 500);
  EXPECT_DOUBLE_EQ(pose.ty, (244.25 - 240) * pose.tz / 500);
  EXPECT_DOUBLE_EQ(pose.rx, 0.15);
}

TEST(pdm, perspective_pose_recovers_camera_pose) {
  const auto pdm = synthetic_pdm();
  const auto cam = camera_intrinsics::guess(640, 480);
  auto p = some_params();
  const cv::Matx33d r = detail::euler_to_rotation({0.1, -0.25, 0.05});
  const cv::Vec3d t(-30, 15, 450);
  const cv::Mat_<double> shape = pdm.shape_3d(p.local);
  const int n = landmark_count;
  landmarks_2d lm{};
  for (int i = 0; i < n; ++i) {
    const cv::Vec3d q = r * cv::Vec3d(shape(i, 0), shape(n + i, 0), shape(2 * n + i, 0)) + t;
    lm[i] = {cam.fx * q[0] / q[2] + cam.cx, cam.fy * q[1] / q[2] + cam.cy};
  }
  // Seed from a weak-perspective fit of those points, as OpenFace does.
  const auto seed = pdm.fit(lm);
  p.scale = seed.scale, p.rx = seed.rx, p.ry = seed.ry, p.rz = seed.rz;
  p.tx = seed.tx, p.ty = seed.ty;
  const auto pose = estimate_head_pose(pdm, p, lm, cam);
  EXPECT_NEAR(pose.tx, t[0], 1e-6);
  EXPECT_NEAR(pose.ty, t[1], 1e-6);
  EXPECT_NEAR(pose.tz, t[2], 1e-5);
  EXPECT_NEAR(pose.rx, 0.1, 1e-8);
  EXPECT_NEAR(pose.ry, -0.25, 1e-8);
  EXPECT_NEAR(pose.rz, 0.05, 1e-8);
}

TEST(pdm, camera_space_landmarks_back_project_through_pixels) {
  const auto pdm = synthetic_pdm();
  const auto cam = camera_intrinsics::guess(640, 480);
  const auto p = some_params();
  const auto lm = pdm.project(p);
  const auto pts = landmarks_in_camera_space(pdm, p, lm, cam);
  const cv::Mat_<double> shape = pdm.shape_3d(p.local);
  const cv::Matx33d r = detail::euler_to_rotation({p.rx, p.ry, p.rz});
  const int n = landmark_count;
  for (int i : {0, 30, 67}) {
    const cv::Vec3d q = r * cv::Vec3d(shape(i, 0), shape(n + i, 0), shape(2 * n + i, 0));
    EXPECT_NEAR(pts[i].z, cam.fx / p.scale + q[2], 1e-9);
    EXPECT_NEAR(cam.fx * pts[i].x / pts[i].z + cam.cx, lm[i].x, 1e-9);
    EXPECT_NEAR(cam.fy * pts[i].y / pts[i].z + cam.cy, lm[i].y, 1e-9);
  }
}

}  // namespace
}  // namespace facemirror

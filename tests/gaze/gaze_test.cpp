// The eyeball-model gaze and the eye landmarks' camera-space placement on constructed eyes
// whose answer is known (the fidelity against OpenFace is gaze_fidelity_test's).
#include "facemirror/gaze/gaze.h"

#include <cmath>

#include <gtest/gtest.h>

#include "facemirror/landmarks/clnf.h"

namespace facemirror {
namespace {

constexpr double pi = 3.14159265358979323846;

// A face 500 mm from the camera whose eye-0 corners (36, 39) are 30 mm apart: the eyeball
// centre is their midpoint plus (0, -3.5, 7) mm, rotated by the head.
landmarks_3d face_at_500mm() {
  landmarks_3d face{};
  face[36] = {-45, 0, 500};
  face[39] = {-15, 0, 500};
  face[42] = {15, 0, 500};
  face[45] = {45, 0, 500};
  return face;
}

// Eye landmarks whose 8 iris points average to `pupil`.
std::array<cv::Point3d, eye_part_points> eye_with_pupil(const cv::Point3d& pupil) {
  std::array<cv::Point3d, eye_part_points> eye{};
  for (int i = 0; i < eye_iris_points; ++i) {
    const double a = 2 * pi * i / eye_iris_points;
    eye[i] = pupil + cv::Point3d(2 * std::cos(a), 2 * std::sin(a), 0);
  }
  return eye;
}

void expect_near(const cv::Point3d& a, const cv::Point3d& b, double tolerance) {
  EXPECT_NEAR(a.x, b.x, tolerance);
  EXPECT_NEAR(a.y, b.y, tolerance);
  EXPECT_NEAR(a.z, b.z, tolerance);
}

TEST(gaze_test, a_pupil_on_the_eyeball_gives_the_direction_from_its_centre) {
  const landmarks_3d face = face_at_500mm();
  const cv::Point3d centre(-30, -3.5, 507);
  // Looking straight at the camera's axis, then 20 degrees to the side and 10 up (y down).
  expect_near(gaze_direction(0, eye_with_pupil(centre + cv::Point3d(0, 0, -12)), face, {}),
              {0, 0, -1}, 1e-12);
  const cv::Point3d turned(std::sin(0.35), -std::sin(0.17), -std::cos(0.35) * std::cos(0.17));
  const cv::Point3d direction = turned * (1.0 / cv::norm(turned));
  expect_near(gaze_direction(0, eye_with_pupil(centre + 12 * direction), face, {}), direction,
              1e-9);
  // Eye 1 uses corners 42 and 45.
  expect_near(
      gaze_direction(1, eye_with_pupil(cv::Point3d(30, -3.5, 507) + 12 * direction), face, {}),
      direction, 1e-9);
}

TEST(gaze_test, the_eyeball_offset_turns_with_the_head) {
  const landmarks_3d face = face_at_500mm();
  head_pose pose;
  pose.ry = 0.5;  // yaw: the offset (0, -3.5, 7) becomes (7 sin, -3.5, 7 cos)
  const cv::Point3d centre(-30 + 7 * std::sin(0.5), -3.5, 500 + 7 * std::cos(0.5));
  expect_near(gaze_direction(0, eye_with_pupil(centre + cv::Point3d(0, 0, -12)), face, pose),
              {0, 0, -1}, 1e-12);
}

TEST(gaze_test, a_ray_that_misses_the_eyeball_aims_at_openfaces_fallback_point) {
  const landmarks_3d face = face_at_500mm();
  const cv::Point3d centre(-30, -3.5, 507);
  const cv::Point3d g = gaze_direction(0, eye_with_pupil(centre + cv::Point3d(40, 0, 0)), face, {});
  const cv::Point3d expected = cv::Point3d(0, 0, -1) - centre;
  expect_near(g, expected * (1.0 / cv::norm(expected)), 1e-12);
}

TEST(gaze_test, angles_are_those_of_the_mean_vector) {
  const cv::Vec2d straight = gaze_angles({0, 0, -1}, {0, 0, -1});
  EXPECT_EQ(straight[0], 0.0);
  EXPECT_EQ(straight[1], 0.0);
  const cv::Point3d a(0.2, 0.1, -0.9746794), b(0.0, 0.1, -0.9949874);
  const cv::Vec2d angles = gaze_angles(a, b);
  EXPECT_NEAR(angles[0], std::atan2(0.1, (0.9746794 + 0.9949874) / 2), 1e-12);
  EXPECT_NEAR(angles[1], std::atan2(0.1, (0.9746794 + 0.9949874) / 2), 1e-12);
}

TEST(gaze_test, eye_landmarks_are_back_projected_at_the_weak_perspective_depth) {
  eye_part_fit eye;
  eye.fitted = true;
  eye.scale = 2.0;
  eye.ry = pi / 2;  // the model's x axis turns into depth (R's row z is (-1, 0, 0))
  for (int i = 0; i < eye_part_points; ++i) {
    eye.landmarks[i] = {320.0 + i, 200.0};
    eye.model_shape[i] = {static_cast<double>(i), 0, 5};
  }
  const camera_intrinsics camera{500, 400, 320, 240};
  const auto mm = eye_landmarks_in_camera_space(eye, camera);
  for (int i = 0; i < eye_part_points; ++i) {
    const double z = 500.0 / 2.0 - i;
    EXPECT_NEAR(mm[i].z, z, 1e-9);
    EXPECT_NEAR(mm[i].x, z * i / 500.0, 1e-9);
    EXPECT_NEAR(mm[i].y, z * -40.0 / 400.0, 1e-9);
  }
  eye.fitted = false;
  EXPECT_EQ(eye_landmarks_in_camera_space(eye, camera)[0], cv::Point3d());
}

TEST(gaze_test, eye_parts_are_found_by_name) {
  std::vector<clnf_part_fit> parts(3);
  for (size_t k = 1; k < 3; ++k) {
    parts[k].landmarks.assign(eye_part_points, cv::Point2d(10.0 * k, 0));
    parts[k].model_shape.assign(eye_part_points, cv::Point3d());
    parts[k].params.scale = 1.0 + k;
  }
  const eye_pair eyes = eye_parts_of({"inner", "right_eye_28", "left_eye_28"}, parts);
  ASSERT_TRUE(eyes[0].fitted && eyes[1].fitted);
  EXPECT_EQ(eyes[0].landmarks[0].x, 20.0);  // left_eye_28 first, wherever the model lists it
  EXPECT_EQ(eyes[1].scale, 2.0);
  parts[2].landmarks.clear();  // a part the fit did not produce
  EXPECT_FALSE(eye_parts_of({"inner", "right_eye_28", "left_eye_28"}, parts)[0].fitted);
}

// Both eyes fitted at scale 1, every landmark at `at`, the eye models flat.
eye_pair fitted_eyes_at(cv::Point2d at) {
  eye_pair eyes{};
  for (auto& eye : eyes) {
    eye.fitted = true;
    eye.scale = 1.0;
    eye.landmarks.fill(at);
    eye.model_shape.fill({0, 0, 0});
  }
  return eyes;
}

TEST(gaze_test, a_frame_without_a_face_keeps_its_eye_landmarks_and_reports_no_gaze) {
  const eye_pair eyes = fitted_eyes_at({300, 200});
  const camera_intrinsics camera{500, 500, 320, 240};
  const eye_observation lost = observe_eyes(eyes, face_at_500mm(), {}, camera, false);
  EXPECT_EQ(lost.landmarks[55], cv::Point2d(300, 200));
  EXPECT_NEAR(lost.landmarks_mm[0].z, 500.0, 1e-12);
  EXPECT_EQ(lost.gaze.eye_0, cv::Point3d());
  EXPECT_EQ(lost.gaze.angle_x, 0.0);
  const eye_observation found = observe_eyes(eyes, face_at_500mm(), {}, camera, true);
  EXPECT_NEAR(cv::norm(found.gaze.eye_0), 1.0, 1e-12);
  EXPECT_NEAR(cv::norm(found.gaze.eye_1), 1.0, 1e-12);
}

// OpenFace's R = Rx * Ry * Rz, built here from the three elementary rotations so that a sign
// slip in gaze.cpp's closed form shows (the tests above turn one axis at a time).
cv::Matx33d rx_ry_rz(double rx, double ry, double rz) {
  const cv::Matx33d x(1, 0, 0, 0, std::cos(rx), -std::sin(rx), 0, std::sin(rx), std::cos(rx));
  const cv::Matx33d y(std::cos(ry), 0, std::sin(ry), 0, 1, 0, -std::sin(ry), 0, std::cos(ry));
  const cv::Matx33d z(std::cos(rz), -std::sin(rz), 0, std::sin(rz), std::cos(rz), 0, 0, 0, 1);
  return x * y * z;
}

TEST(gaze_test, the_eyeball_offset_follows_a_head_turned_about_all_three_axes) {
  const landmarks_3d face = face_at_500mm();
  head_pose pose;
  pose.rx = 0.3;
  pose.ry = -0.4;
  pose.rz = 0.2;
  const cv::Vec3d offset = rx_ry_rz(pose.rx, pose.ry, pose.rz) * cv::Vec3d(0, -3.5, 7);
  const cv::Point3d centre =
      cv::Point3d(-30, 0, 500) + cv::Point3d(offset[0], offset[1], offset[2]);
  expect_near(gaze_direction(0, eye_with_pupil(centre + cv::Point3d(0, 0, -12)), face, pose),
              {0, 0, -1}, 1e-12);
}

TEST(gaze_test, eye_landmark_depths_follow_a_head_turned_about_all_three_axes) {
  eye_part_fit eye;
  eye.fitted = true;
  eye.scale = 2.0;
  eye.rx = 0.3;
  eye.ry = -0.4;
  eye.rz = 0.2;
  for (int i = 0; i < eye_part_points; ++i) {
    eye.landmarks[i] = {320.0, 240.0};
    eye.model_shape[i] = {1.0 + i, 2.0 - i, 0.5 * i};
  }
  const cv::Matx33d r = rx_ry_rz(eye.rx, eye.ry, eye.rz);
  const auto mm = eye_landmarks_in_camera_space(eye, {500, 500, 320, 240});
  for (int i = 0; i < eye_part_points; ++i) {
    const cv::Vec3d turned =
        r * cv::Vec3d(eye.model_shape[i].x, eye.model_shape[i].y, eye.model_shape[i].z);
    EXPECT_NEAR(mm[i].z, 250.0 + turned[2], 1e-9);
  }
}

TEST(gaze_test, angle_x_is_horizontal_and_angle_y_vertical) {
  // x and y differ, so the two angles cannot be swapped unnoticed (gaze_angle_x, gaze_angle_y).
  const cv::Vec2d angles = gaze_angles({0.3, -0.1, -0.8}, {0.1, -0.3, -0.9});
  EXPECT_NEAR(angles[0], std::atan2(0.2, 0.85), 1e-12);
  EXPECT_NEAR(angles[1], std::atan2(-0.2, 0.85), 1e-12);
}

TEST(gaze_test, no_gaze_unless_both_eyes_were_fitted) {
  // An unfitted eye's landmarks are zeros: a gaze from them would be the fallback's garbage.
  eye_pair eyes = fitted_eyes_at({300, 200});
  eyes[1].fitted = false;
  const eye_observation one = observe_eyes(eyes, face_at_500mm(), {}, {500, 500, 320, 240}, true);
  EXPECT_EQ(one.gaze.eye_0, cv::Point3d());
  EXPECT_EQ(one.gaze.eye_1, cv::Point3d());
  EXPECT_EQ(one.gaze.angle_x, 0.0);
}

TEST(gaze_test, an_eye_part_without_a_positive_scale_is_not_fitted) {
  // Its depth would be fx / scale: infinite or negative.
  std::vector<clnf_part_fit> parts(2);
  for (auto& part : parts) {
    part.landmarks.assign(eye_part_points, cv::Point2d(10, 0));
    part.model_shape.assign(eye_part_points, cv::Point3d());
    part.params.scale = 0.0;
  }
  const eye_pair eyes = eye_parts_of({"left_eye_28", "right_eye_28"}, parts);
  EXPECT_FALSE(eyes[0].fitted);
  EXPECT_FALSE(eyes[1].fitted);
}

}  // namespace
}  // namespace facemirror

#pragma once
// Rotation helpers shared by the PDM fit and the head-pose code (internal to the landmarks
// module). Euler angles follow OpenFace: R = Rx(rx) * Ry(ry) * Rz(rz), angles in radians.
//
// THREAD SAFETY
//   Pure functions: safe from any thread.

#include <opencv2/core.hpp>

namespace facemirror::detail {

/// R = Rx(e[0]) * Ry(e[1]) * Rz(e[2]).
[[nodiscard]] cv::Matx33d euler_to_rotation(const cv::Vec3d& euler);

/// Inverse of euler_to_rotation for a proper rotation, with ry in [-pi/2, pi/2].
[[nodiscard]] cv::Vec3d rotation_to_euler(const cv::Matx33d& r);

/// Rodrigues: rotation by |w| radians about w / |w|.
[[nodiscard]] cv::Matx33d axis_angle_to_rotation(const cv::Vec3d& w);

/// The nearest rotation (orthonormal polar factor) to I + [w]x, the first-order rotation used
/// by OpenFace's Gauss-Newton update.
[[nodiscard]] cv::Matx33d orthonormalised_small_rotation(const cv::Vec3d& w);

}  // namespace facemirror::detail

#include "landmarks/rotation.h"

#include <algorithm>
#include <cmath>

namespace facemirror::detail {

cv::Matx33d euler_to_rotation(const cv::Vec3d& euler) {
  const double s1 = std::sin(euler[0]), c1 = std::cos(euler[0]);
  const double s2 = std::sin(euler[1]), c2 = std::cos(euler[1]);
  const double s3 = std::sin(euler[2]), c3 = std::cos(euler[2]);
  return {c2 * c3,
          -c2 * s3,
          s2,
          c1 * s3 + c3 * s1 * s2,
          c1 * c3 - s1 * s2 * s3,
          -c2 * s1,
          s1 * s3 - c1 * c3 * s2,
          c3 * s1 + c1 * s2 * s3,
          c1 * c2};
}

cv::Vec3d rotation_to_euler(const cv::Matx33d& r) {
  // Read straight off the Rx*Ry*Rz layout: r(0,2) = sin ry, the rest of row 0 and column 2
  // give rz and rx. Mathematically the same as OpenFace's quaternion route.
  const double ry = std::asin(std::clamp(r(0, 2), -1.0, 1.0));
  const double rx = std::atan2(-r(1, 2), r(2, 2));
  const double rz = std::atan2(-r(0, 1), r(0, 0));
  return {rx, ry, rz};
}

cv::Matx33d axis_angle_to_rotation(const cv::Vec3d& w) {
  const double theta = std::sqrt(w.dot(w));
  if (theta < 1e-300)
    return cv::Matx33d::eye();
  const cv::Vec3d n = w * (1.0 / theta);
  const double c = std::cos(theta), s = std::sin(theta), t = 1.0 - c;
  return {c + t * n[0] * n[0],        t * n[0] * n[1] - s * n[2], t * n[0] * n[2] + s * n[1],
          t * n[0] * n[1] + s * n[2], c + t * n[1] * n[1],        t * n[1] * n[2] - s * n[0],
          t * n[0] * n[2] - s * n[1], t * n[1] * n[2] + s * n[0], c + t * n[2] * n[2]};
}

cv::Matx33d orthonormalised_small_rotation(const cv::Vec3d& w) {
  // The polar factor of I + theta*[n]x is exactly the rotation by atan(theta) about n (the
  // symmetric factor is sqrt(I - K^2), with eigenvalues 1 and sqrt(1 + theta^2)), so the SVD
  // OpenFace uses to orthonormalise can be replaced by this closed form.
  const double theta = std::sqrt(w.dot(w));
  if (theta < 1e-300)
    return cv::Matx33d::eye();
  return axis_angle_to_rotation(w * (std::atan(theta) / theta));
}

}  // namespace facemirror::detail

// Eye landmarks in camera space and the eyeball-model gaze (see the header for the model).
#include "facemirror/gaze/gaze.h"

#include <cmath>

#include "facemirror/landmarks/clnf.h"

#include "landmarks/rotation.h"

namespace facemirror {
namespace {

constexpr double eyeball_radius_mm = 12.0;
// From the midpoint of the eye corners to the eyeball centre, in head coordinates: the
// centre sits behind (and a little above, y pointing down) the corners.
const cv::Vec3d eyeball_offset_mm(0.0, -3.5, 7.0);
// The 68-point face's corners of each eye, eye_pair order.
constexpr int eye_corners[2][2] = {{36, 39}, {42, 45}};

cv::Point3d unit(const cv::Point3d& v) {
  const double n = cv::norm(v);
  return n > 0 ? v * (1.0 / n) : cv::Point3d();
}

}  // namespace

eye_pair eye_parts_of(const std::vector<std::string>& part_names,
                      const std::vector<clnf_part_fit>& parts) {
  eye_pair eyes{};
  for (size_t e = 0; e < eyes.size(); ++e) {
    for (size_t k = 0; k < part_names.size() && k < parts.size(); ++k) {
      const clnf_part_fit& part = parts[k];
      if (part_names[k] != eye_part_names[e] ||
          part.landmarks.size() != static_cast<size_t>(eye_part_points) ||
          part.model_shape.size() != static_cast<size_t>(eye_part_points) ||
          !(part.params.scale > 0)) {
        continue;
      }
      eye_part_fit& eye = eyes[e];
      eye.fitted = true;
      std::copy(part.landmarks.begin(), part.landmarks.end(), eye.landmarks.begin());
      std::copy(part.model_shape.begin(), part.model_shape.end(), eye.model_shape.begin());
      eye.scale = part.params.scale;
      eye.rx = part.params.rx;
      eye.ry = part.params.ry;
      eye.rz = part.params.rz;
    }
  }
  return eyes;
}

std::array<cv::Point3d, eye_part_points> eye_landmarks_in_camera_space(
    const eye_part_fit& eye, const camera_intrinsics& camera) {
  std::array<cv::Point3d, eye_part_points> out{};
  if (!eye.fitted || !(eye.scale > 0))
    return out;
  const cv::Matx33d r = detail::euler_to_rotation({eye.rx, eye.ry, eye.rz});
  const double z_avg = camera.fx / eye.scale;
  for (int i = 0; i < eye_part_points; ++i) {
    const cv::Point3d& m = eye.model_shape[i];
    const double z = z_avg + r(2, 0) * m.x + r(2, 1) * m.y + r(2, 2) * m.z;
    const cv::Point2d& p = eye.landmarks[i];
    out[i] = {z * (p.x - camera.cx) / camera.fx, z * (p.y - camera.cy) / camera.fy, z};
  }
  return out;
}

cv::Point3d gaze_direction(int eye, const std::array<cv::Point3d, eye_part_points>& eye_mm,
                           const landmarks_3d& face_mm, const head_pose& pose) {
  cv::Point3d pupil;
  for (int i = 0; i < eye_iris_points; ++i)
    pupil += eye_mm[i];
  pupil *= 1.0 / eye_iris_points;
  const cv::Point3d ray = unit(pupil);

  const cv::Vec3d offset =
      detail::euler_to_rotation({pose.rx, pose.ry, pose.rz}) * eyeball_offset_mm;
  const cv::Point3d centre = (face_mm[eye_corners[eye][0]] + face_mm[eye_corners[eye][1]]) * 0.5 +
                             cv::Point3d(offset[0], offset[1], offset[2]);

  // The ray from the camera centre, t * ray, meets the sphere |x - centre| = r where
  // t^2 - 2 t (ray . centre) + |centre|^2 - r^2 = 0; the nearer root is the visible surface.
  const double b = -2.0 * ray.dot(centre);
  const double c = centre.dot(centre) - eyeball_radius_mm * eyeball_radius_mm;
  const double discriminant = b * b - 4.0 * c;
  const cv::Point3d hit =
      discriminant < 0 ? cv::Point3d(0, 0, -1) : ray * ((-b - std::sqrt(discriminant)) / 2.0);
  return unit(hit - centre);
}

cv::Vec2d gaze_angles(const cv::Point3d& eye_0, const cv::Point3d& eye_1) {
  const cv::Point3d mean = (eye_0 + eye_1) * 0.5;
  return {std::atan2(mean.x, -mean.z), std::atan2(mean.y, -mean.z)};
}

eye_observation observe_eyes(const eye_pair& eyes, const landmarks_3d& face_mm,
                             const head_pose& pose, const camera_intrinsics& camera,
                             bool face_found) {
  eye_observation out{};
  std::array<std::array<cv::Point3d, eye_part_points>, 2> in_camera{};
  for (int e = 0; e < 2; ++e) {
    in_camera[e] = eye_landmarks_in_camera_space(eyes[e], camera);
    for (int i = 0; i < eye_part_points; ++i) {
      out.landmarks[e * eye_part_points + i] = eyes[e].landmarks[i];
      out.landmarks_mm[e * eye_part_points + i] = in_camera[e][i];
    }
  }
  if (face_found && eyes[0].fitted && eyes[1].fitted) {
    out.gaze.eye_0 = gaze_direction(0, in_camera[0], face_mm, pose);
    out.gaze.eye_1 = gaze_direction(1, in_camera[1], face_mm, pose);
    const cv::Vec2d angles = gaze_angles(out.gaze.eye_0, out.gaze.eye_1);
    out.gaze.angle_x = angles[0];
    out.gaze.angle_y = angles[1];
  }
  return out;
}

}  // namespace facemirror

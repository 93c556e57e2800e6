// Camera intrinsics, head pose and camera-space landmarks derived from a PDM fit.
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "facemirror/error.h"
#include "facemirror/landmarks/pdm.h"

#include "landmarks/rotation.h"

namespace facemirror {
namespace {

// Solves the 6x6 system a * x = b by Gaussian elimination with partial pivoting.
bool solve6(std::array<double, 36> a, std::array<double, 6>& b) {
  for (int c = 0; c < 6; ++c) {
    int piv = c;
    for (int r = c + 1; r < 6; ++r)
      if (std::abs(a[r * 6 + c]) > std::abs(a[piv * 6 + c]))
        piv = r;
    if (!(std::abs(a[piv * 6 + c]) > 1e-300))
      return false;
    if (piv != c) {
      for (int k = 0; k < 6; ++k)
        std::swap(a[c * 6 + k], a[piv * 6 + k]);
      std::swap(b[c], b[piv]);
    }
    for (int r = c + 1; r < 6; ++r) {
      const double f = a[r * 6 + c] / a[c * 6 + c];
      for (int k = c; k < 6; ++k)
        a[r * 6 + k] -= f * a[c * 6 + k];
      b[r] -= f * b[c];
    }
  }
  for (int r = 5; r >= 0; --r) {
    double s = b[r];
    for (int k = r + 1; k < 6; ++k)
      s -= a[r * 6 + k] * b[k];
    b[r] = s / a[r * 6 + r];
  }
  return true;
}

}  // namespace

camera_intrinsics camera_intrinsics::guess(int width, int height) {
  camera_intrinsics cam;
  cam.fx = 500.0 * (width / 640.0 + height / 480.0) / 2.0;
  cam.fy = cam.fx;
  cam.cx = width / 2.0;
  cam.cy = height / 2.0;
  return cam;
}

void camera_intrinsics::check() const {
  const bool finite =
      std::isfinite(fx) && std::isfinite(fy) && std::isfinite(cx) && std::isfinite(cy);
  if (!finite || !(fx > 0) || !(fy > 0))
    throw error(error_code::invalid_argument,
                "camera intrinsics: fx and fy must be positive and fx, fy, cx, cy finite, not fx=" +
                    std::to_string(fx) + " fy=" + std::to_string(fy) + " cx=" + std::to_string(cx) +
                    " cy=" + std::to_string(cy));
}

camera_intrinsics camera_setting::for_frame(int width, int height) const {
  camera_intrinsics cam = camera_intrinsics::guess(width, height);
  if (focal) {
    cam.fx = (*focal)[0];
    cam.fy = (*focal)[1];
  }
  if (centre) {
    cam.cx = (*centre)[0];
    cam.cy = (*centre)[1];
  }
  return cam;
}

void camera_setting::check() const {
  // Any frame size shows what was given; the guess itself is always valid.
  const camera_intrinsics given = for_frame(640, 480);
  try {
    given.check();
  } catch (const error&) {
    const auto pair = [](const char* names, const std::optional<std::array<double, 2>>& v) {
      return v ? std::string(" ") + names + "=" + std::to_string((*v)[0]) + "," +
                     std::to_string((*v)[1])
               : std::string();
    };
    throw error(error_code::invalid_argument,
                "camera intrinsics: fx and fy must be positive and every value given finite, "
                "not" +
                    pair("fx,fy", focal) + pair("cx,cy", centre));
  }
}

head_pose estimate_head_pose(const pdm_params& params, const camera_intrinsics& cam) {
  head_pose pose;
  if (params.scale == 0)
    return pose;
  pose.tz = cam.fx / params.scale;
  pose.tx = (params.tx - cam.cx) * pose.tz / cam.fx;
  pose.ty = (params.ty - cam.cy) * pose.tz / cam.fy;
  pose.rx = params.rx, pose.ry = params.ry, pose.rz = params.rz;
  return pose;
}

head_pose estimate_head_pose(const point_distribution_model& pdm, const pdm_params& params,
                             const landmarks_2d& landmarks, const camera_intrinsics& cam) {
  const head_pose initial = estimate_head_pose(params, cam);
  if (params.scale == 0)
    return initial;
  const int n = pdm.point_count();
  const cv::Mat_<double> shape = pdm.shape_3d(params.local);
  std::vector<cv::Point3d> model;
  std::vector<cv::Point2d> image;
  for (int i = 0; i < n && i < landmark_count; ++i) {
    if (landmarks[i].x == 0 || !std::isfinite(landmarks[i].x))
      continue;
    model.emplace_back(shape(i, 0), shape(n + i, 0), shape(2 * n + i, 0));
    image.push_back(landmarks[i]);
  }
  if (model.size() < 4)
    return initial;

  // Seed: the weak-perspective translation and the fit's angles taken as an axis-angle vector
  // (for head-sized angles that is within a few degrees of the Euler rotation, and the
  // reprojection error has one minimum nearby, so the seed does not change the result).
  cv::Matx33d rot = detail::axis_angle_to_rotation({params.rx, params.ry, params.rz});
  cv::Vec3d t(initial.tx, initial.ty, initial.tz);

  // Levenberg-Marquardt on the perspective reprojection error, with the rotation updated by
  // left-multiplying exp([w]x) so no Euler/axis-angle derivative is needed.
  auto cost_of = [&](const cv::Matx33d& r, const cv::Vec3d& tr) {
    double c = 0;
    for (size_t i = 0; i < model.size(); ++i) {
      const cv::Vec3d pc = r * cv::Vec3d(model[i].x, model[i].y, model[i].z) + tr;
      const double u = cam.fx * pc[0] / pc[2] + cam.cx - image[i].x;
      const double v = cam.fy * pc[1] / pc[2] + cam.cy - image[i].y;
      c += u * u + v * v;
    }
    return c;
  };
  double cost = cost_of(rot, t);
  double lambda = 1e-3;
  bool converged = false;
  for (int iter = 0; iter < 100 && !converged; ++iter) {
    std::array<double, 36> h{};
    std::array<double, 6> g{};
    for (size_t i = 0; i < model.size(); ++i) {
      const cv::Vec3d q = rot * cv::Vec3d(model[i].x, model[i].y, model[i].z);
      const cv::Vec3d pc = q + t;
      const double iz = 1.0 / pc[2];
      const double u = cam.fx * pc[0] * iz + cam.cx - image[i].x;
      const double v = cam.fy * pc[1] * iz + cam.cy - image[i].y;
      // d(pc)/dw = -[q]x, d(pc)/dt = I.
      const double du[3] = {cam.fx * iz, 0, -cam.fx * pc[0] * iz * iz};
      const double dv[3] = {0, cam.fy * iz, -cam.fy * pc[1] * iz * iz};
      const double skew[3][3] = {{0, q[2], -q[1]}, {-q[2], 0, q[0]}, {q[1], -q[0], 0}};
      double ju[6], jv[6];
      for (int c = 0; c < 3; ++c) {
        ju[c] = du[0] * skew[0][c] + du[1] * skew[1][c] + du[2] * skew[2][c];
        jv[c] = dv[0] * skew[0][c] + dv[1] * skew[1][c] + dv[2] * skew[2][c];
        ju[3 + c] = du[c];
        jv[3 + c] = dv[c];
      }
      for (int a = 0; a < 6; ++a) {
        for (int b = 0; b < 6; ++b)
          h[a * 6 + b] += ju[a] * ju[b] + jv[a] * jv[b];
        g[a] -= ju[a] * u + jv[a] * v;
      }
    }
    bool accepted = false;
    for (int attempt = 0; attempt < 10 && !accepted; ++attempt) {
      std::array<double, 36> damped = h;
      for (int a = 0; a < 6; ++a)
        damped[a * 6 + a] *= 1.0 + lambda;
      std::array<double, 6> step = g;
      if (!solve6(damped, step))
        break;
      const cv::Matx33d r_new = detail::axis_angle_to_rotation({step[0], step[1], step[2]}) * rot;
      const cv::Vec3d t_new = t + cv::Vec3d(step[3], step[4], step[5]);
      const double c_new = cost_of(r_new, t_new);
      if (c_new <= cost) {
        const double change = cost - c_new;
        rot = r_new, t = t_new, cost = c_new, accepted = true;
        lambda = std::max(lambda * 0.1, 1e-12);
        const double step_size = std::abs(step[0]) + std::abs(step[1]) + std::abs(step[2]) +
                                 1e-3 * (std::abs(step[3]) + std::abs(step[4]) + std::abs(step[5]));
        converged = step_size < 1e-12 || change <= 1e-14 * (cost + 1e-30);
      } else {
        lambda *= 10;
      }
    }
    if (!accepted)
      break;
  }
  const cv::Vec3d euler = detail::rotation_to_euler(rot);
  return head_pose{t[0], t[1], t[2], euler[0], euler[1], euler[2]};
}

landmarks_3d landmarks_in_camera_space(const point_distribution_model& pdm,
                                       const pdm_params& params, const landmarks_2d& landmarks,
                                       const camera_intrinsics& cam) {
  landmarks_3d out{};
  if (params.scale == 0)
    return out;
  const int n = pdm.point_count();
  const cv::Mat_<double> shape = pdm.shape_3d(params.local);
  const cv::Matx33d r = detail::euler_to_rotation({params.rx, params.ry, params.rz});
  // Weak perspective puts the whole face at depth fx / scale; each point then sits at that
  // depth plus its own rotated model depth (CLM-Z, eq. 10), back-projected through its pixel.
  const double z_avg = cam.fx / params.scale;
  for (int i = 0; i < n && i < landmark_count; ++i) {
    const double depth =
        r(2, 0) * shape(i, 0) + r(2, 1) * shape(n + i, 0) + r(2, 2) * shape(2 * n + i, 0);
    const double z = z_avg + depth;
    out[i] = {z * (landmarks[i].x - cam.cx) / cam.fx, z * (landmarks[i].y - cam.cy) / cam.fy, z};
  }
  return out;
}

}  // namespace facemirror

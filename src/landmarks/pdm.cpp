// PDM loading, shape synthesis, projection and the fitter's Jacobian, step and clamp. The fit
// lives in pdm_fit.cpp, pose and camera-space geometry in pdm_pose.cpp.
#include "facemirror/landmarks/pdm.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "facemirror/error.h"

#include "core/simd_clones.h"
#include "landmarks/pdm_text.h"
#include "landmarks/rotation.h"

namespace facemirror {

point_distribution_model point_distribution_model::load(const std::filesystem::path& file,
                                                        int point_count) {
  detail::pdm_matrices read = detail::read_pdm_text(file);
  if (point_count != any_point_count && read.mean.rows != 3 * point_count)
    throw error(error_code::model_format,
                file.string() + ": mean shape must be " + std::to_string(3 * point_count) + "x1");
  point_distribution_model pdm;
  pdm.mean_ = std::move(read.mean);
  pdm.princ_comp_ = std::move(read.components);
  pdm.eigen_values_ = std::move(read.eigenvalues);

  const int coords = pdm.mean_.rows, m = pdm.mode_count();
  pdm.components_by_mode_.resize(static_cast<size_t>(coords) * m);
  for (int row = 0; row < coords; ++row)
    for (int k = 0; k < m; ++k)
      pdm.components_by_mode_[static_cast<size_t>(k) * coords + row] = pdm.princ_comp_(row, k);

  std::vector<int> all(pdm.point_count());
  for (int i = 0; i < pdm.point_count(); ++i)
    all[i] = i;
  gram_over(pdm.princ_comp_, all, pdm.gram_);
  return pdm;
}

void point_distribution_model::gram_over(const cv::Mat_<double>& components,
                                         const std::vector<int>& points, std::vector<double>& out) {
  const int n = components.rows / 3, m = components.cols;
  const size_t mm = static_cast<size_t>(m) * m;
  out.assign(6 * mm, 0.0);
  // xx, yy, zz, then the symmetrised cross terms xy+yx, xz+zx, yz+zy.
  static constexpr int pairs[6][2] = {{0, 0}, {1, 1}, {2, 2}, {0, 1}, {0, 2}, {1, 2}};
  for (int q = 0; q < 6; ++q) {
    double* g = out.data() + q * mm;
    const int a = pairs[q][0], b = pairs[q][1];
    for (int i : points) {
      const double* va = components[a * n + i];
      const double* vb = components[b * n + i];
      for (int k = 0; k < m; ++k)
        for (int l = 0; l < m; ++l)
          g[k * m + l] += va[k] * vb[l] + (a != b ? vb[k] * va[l] : 0.0);
    }
  }
}

cv::Mat_<double> point_distribution_model::shape_variation(const std::vector<double>& local) const {
  const int m = mode_count();
  cv::Mat_<double> out(mean_.rows, 1, 0.0);
  if (local.empty())
    return out;
  FACEMIRROR_CHECK(static_cast<int>(local.size()) == m, "pdm: local parameter count mismatch");
  for (int r = 0; r < mean_.rows; ++r) {
    const double* v = princ_comp_[r];
    double sum = 0.0;
    for (int k = 0; k < m; ++k)
      sum += v[k] * local[k];
    out(r, 0) = sum;
  }
  return out;
}

cv::Mat_<double> point_distribution_model::shape_3d(const std::vector<double>& local) const {
  FACEMIRROR_CHECK(local.empty() || static_cast<int>(local.size()) == mode_count(),
                   "pdm: local parameter count mismatch");
  std::vector<cv::Point3d> points;
  model_points(local, points);
  const int n = point_count();
  cv::Mat_<double> out(3 * n, 1);
  for (int i = 0; i < n; ++i) {
    out(i, 0) = points[i].x;
    out(n + i, 0) = points[i].y;
    out(2 * n + i, 0) = points[i].z;
  }
  return out;
}

// Every coordinate is its mean plus the modes' contributions added in mode order; running over
// the modes outermost lets each addition cover many coordinates at once without changing any
// coordinate's order of additions.
FACEMIRROR_SIMD_CLONES void point_distribution_model::model_points(
    const std::vector<double>& local, std::vector<cv::Point3d>& out) const {
  const int n = point_count(), m = mode_count();
  const size_t coords = 3 * static_cast<size_t>(n);
  std::vector<double> v(mean_.begin(), mean_.end());
  if (static_cast<int>(local.size()) == m) {
    double* acc = v.data();
    for (int k = 0; k < m; ++k) {
      const double* c = components_by_mode_.data() + k * coords;
      const double w = local[k];
      for (size_t row = 0; row < coords; ++row)
        acc[row] += c[row] * w;
    }
  }
  out.resize(n);
  for (int i = 0; i < n; ++i)
    out[i] = {v[i], v[n + i], v[2 * n + i]};
}

std::vector<cv::Point2d> point_distribution_model::project_points(const pdm_params& params) const {
  std::vector<cv::Point3d> s;
  model_points(params.local, s);
  const cv::Matx33d r = detail::euler_to_rotation({params.rx, params.ry, params.rz});
  std::vector<cv::Point2d> out(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const cv::Point3d& q = s[i];
    out[i].x = params.scale * (r(0, 0) * q.x + r(0, 1) * q.y + r(0, 2) * q.z) + params.tx;
    out[i].y = params.scale * (r(1, 0) * q.x + r(1, 1) * q.y + r(1, 2) * q.z) + params.ty;
  }
  return out;
}

landmarks_2d point_distribution_model::project(const pdm_params& params) const {
  FACEMIRROR_CHECK(point_count() == landmark_count, "pdm: project needs a 68-point model");
  const std::vector<cv::Point2d> points = project_points(params);
  landmarks_2d out{};
  std::copy(points.begin(), points.end(), out.begin());
  return out;
}

FACEMIRROR_SIMD_CLONES void point_distribution_model::jacobian(const pdm_params& params, bool rigid,
                                                               cv::Mat_<double>& out) const {
  const int n = point_count(), m = mode_count();
  std::vector<cv::Point3d> s;
  model_points(params.local, s);
  const cv::Matx33d r = detail::euler_to_rotation({params.rx, params.ry, params.rz});
  const double sc = params.scale;
  out.create(2 * n, rigid ? 6 : 6 + m);
  for (int i = 0; i < n; ++i) {
    const double x = s[i].x, y = s[i].y, z = s[i].z;
    for (int row = 0; row < 2; ++row) {
      double* jr = out[2 * i + row];
      // d/d(scale), then the increments w of R * (I + [w]x): R * (0,-z,y), (z,0,-x), (-y,x,0).
      jr[0] = r(row, 0) * x + r(row, 1) * y + r(row, 2) * z;
      jr[1] = sc * (r(row, 2) * y - r(row, 1) * z);
      jr[2] = sc * (r(row, 0) * z - r(row, 2) * x);
      jr[3] = sc * (r(row, 1) * x - r(row, 0) * y);
      jr[4] = row == 0 ? 1.0 : 0.0;
      jr[5] = row == 1 ? 1.0 : 0.0;
      if (rigid)
        continue;
      const double* vx = princ_comp_[i];
      const double* vy = princ_comp_[n + i];
      const double* vz = princ_comp_[2 * n + i];
      for (int k = 0; k < m; ++k)
        jr[6 + k] = sc * (r(row, 0) * vx[k] + r(row, 1) * vy[k] + r(row, 2) * vz[k]);
    }
  }
}

void point_distribution_model::apply_step(pdm_params& params, const cv::Mat_<double>& step) const {
  params.scale += step(0);
  params.tx += step(4);
  params.ty += step(5);
  const cv::Matx33d composed = detail::euler_to_rotation({params.rx, params.ry, params.rz}) *
                               detail::orthonormalised_small_rotation({step(1), step(2), step(3)});
  const cv::Vec3d e = detail::rotation_to_euler(composed);
  params.rx = e[0], params.ry = e[1], params.rz = e[2];
  if (static_cast<int>(step.total()) > 6) {
    const int m = mode_count();
    params.local.resize(m, 0.0);
    for (int k = 0; k < m; ++k)
      params.local[k] += step(6 + k);
  }
}

void point_distribution_model::clamp(pdm_params& params, bool limit_pose) const {
  const int m = mode_count();
  params.local.resize(m, 0.0);
  for (int k = 0; k < m; ++k) {
    const double limit = 3.0 * std::sqrt(eigen_values_(0, k));
    params.local[k] = std::clamp(params.local[k], -limit, limit);
  }
  if (limit_pose) {
    const double h = CV_PI / 2;
    params.rx = std::clamp(params.rx, -h, h);
    params.ry = std::clamp(params.ry, -h, h);
    params.rz = std::clamp(params.rz, -h, h);
  }
}

}  // namespace facemirror

// PDM loading, shape synthesis and projection. The fit lives in pdm_fit.cpp, pose and
// camera-space geometry in pdm_pose.cpp.
#include "facemirror/landmarks/pdm.h"

#include <cmath>
#include <string>

#include "facemirror/error.h"

#include "landmarks/pdm_text.h"
#include "landmarks/rotation.h"

namespace facemirror {

point_distribution_model point_distribution_model::load(const std::filesystem::path& file) {
  detail::pdm_matrices read = detail::read_pdm_text(file);
  if (read.mean.rows != 3 * landmark_count)
    throw error(error_code::model_format, file.string() + ": mean shape must be " +
                                              std::to_string(3 * landmark_count) + "x1");
  point_distribution_model pdm;
  pdm.mean_ = std::move(read.mean);
  pdm.princ_comp_ = std::move(read.components);
  pdm.eigen_values_ = std::move(read.eigenvalues);

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
  cv::Mat_<double> out = shape_variation(local);
  out += mean_;
  return out;
}

landmarks_2d point_distribution_model::project(const pdm_params& params) const {
  FACEMIRROR_CHECK(point_count() == landmark_count, "pdm: project needs a 68-point model");
  const cv::Mat_<double> shape = shape_3d(params.local);
  const cv::Matx33d r = detail::euler_to_rotation({params.rx, params.ry, params.rz});
  const int n = point_count();
  landmarks_2d out{};
  for (int i = 0; i < n; ++i) {
    const double x = shape(i, 0), y = shape(n + i, 0), z = shape(2 * n + i, 0);
    out[i].x = params.scale * (r(0, 0) * x + r(0, 1) * y + r(0, 2) * z) + params.tx;
    out[i].y = params.scale * (r(1, 0) * x + r(1, 1) * y + r(1, 2) * z) + params.ty;
  }
  return out;
}

}  // namespace facemirror

// PDM geometry for the CLNF fitter at any point count: projection, Jacobians, the composed
// rotation update, clamping and a CalcParams-style fit for the part models (Saragih et al.
// 2011; the weak-perspective model of pdm.h).
#include <algorithm>
#include <cmath>

#include "facemirror/error.h"

#include "landmarks/clnf_internal.h"
#include "landmarks/pdm_text.h"
#include "landmarks/rotation.h"

namespace facemirror::detail {

shape_model::shape_model(const cv::Mat_<double>& mean, const cv::Mat_<double>& components,
                         const cv::Mat_<double>& eigenvalues)
    : n_(mean.rows / 3), m_(components.cols) {
  mean_.assign(mean.begin(), mean.end());
  comps_.assign(components.begin(), components.end());
  comps_by_mode_.resize(comps_.size());
  for (int row = 0; row < 3 * n_; ++row)
    for (int k = 0; k < m_; ++k)
      comps_by_mode_[static_cast<size_t>(k) * 3 * n_ + row] =
          comps_[static_cast<size_t>(row) * m_ + k];
  eig_.assign(eigenvalues.begin(), eigenvalues.end());
}

shape_model shape_model::load(const std::filesystem::path& file) {
  const pdm_matrices pdm = read_pdm_text(file);
  return shape_model(pdm.mean, pdm.components, pdm.eigenvalues);
}

// Every coordinate is its mean plus the modes' contributions added in mode order; running over
// the modes outermost (components stored mode by mode) lets each addition cover many
// coordinates at once without changing any coordinate's order of additions.
FACEMIRROR_SIMD_CLONES void shape_model::shape_3d(const std::vector<double>& local,
                                                  std::vector<cv::Point3d>& out) const {
  const size_t coords = 3 * static_cast<size_t>(n_);
  std::vector<double> v(mean_);
  if (static_cast<int>(local.size()) == m_) {
    double* acc = v.data();
    for (int k = 0; k < m_; ++k) {
      const double* c = comps_by_mode_.data() + k * coords;
      const double w = local[k];
      for (size_t row = 0; row < coords; ++row)
        acc[row] += c[row] * w;
    }
  }
  out.resize(n_);
  for (int i = 0; i < n_; ++i)
    out[i] = {v[i], v[n_ + i], v[2 * n_ + i]};
}

std::vector<cv::Point2d> shape_model::project(const pdm_params& p) const {
  std::vector<cv::Point3d> s;
  shape_3d(p.local, s);
  const cv::Matx33d r = euler_to_rotation({p.rx, p.ry, p.rz});
  std::vector<cv::Point2d> out(n_);
  for (int i = 0; i < n_; ++i) {
    const cv::Point3d& q = s[i];
    out[i].x = p.scale * (r(0, 0) * q.x + r(0, 1) * q.y + r(0, 2) * q.z) + p.tx;
    out[i].y = p.scale * (r(1, 0) * q.x + r(1, 1) * q.y + r(1, 2) * q.z) + p.ty;
  }
  return out;
}

FACEMIRROR_SIMD_CLONES void shape_model::jacobian(const pdm_params& p, bool rigid,
                                                  cv::Mat_<double>& j) const {
  std::vector<cv::Point3d> s;
  shape_3d(p.local, s);
  const cv::Matx33d r = euler_to_rotation({p.rx, p.ry, p.rz});
  const double sc = p.scale;
  j.create(2 * n_, rigid ? 6 : 6 + m_);
  for (int i = 0; i < n_; ++i) {
    const double x = s[i].x, y = s[i].y, z = s[i].z;
    for (int row = 0; row < 2; ++row) {
      double* jr = j[2 * i + row];
      // d/d(scale), then the increments w of R * (I + [w]x): R * (0,-z,y), (z,0,-x), (-y,x,0).
      jr[0] = r(row, 0) * x + r(row, 1) * y + r(row, 2) * z;
      jr[1] = sc * (r(row, 2) * y - r(row, 1) * z);
      jr[2] = sc * (r(row, 0) * z - r(row, 2) * x);
      jr[3] = sc * (r(row, 1) * x - r(row, 0) * y);
      jr[4] = row == 0 ? 1.0 : 0.0;
      jr[5] = row == 1 ? 1.0 : 0.0;
      if (rigid)
        continue;
      const double* vx = comps_.data() + static_cast<size_t>(i) * m_;
      const double* vy = comps_.data() + static_cast<size_t>(n_ + i) * m_;
      const double* vz = comps_.data() + static_cast<size_t>(2 * n_ + i) * m_;
      for (int k = 0; k < m_; ++k)
        jr[6 + k] = sc * (r(row, 0) * vx[k] + r(row, 1) * vy[k] + r(row, 2) * vz[k]);
    }
  }
}

void shape_model::update(pdm_params& p, const cv::Mat_<double>& delta) const {
  p.scale += delta(0);
  p.tx += delta(4);
  p.ty += delta(5);
  const cv::Matx33d composed = euler_to_rotation({p.rx, p.ry, p.rz}) *
                               orthonormalised_small_rotation({delta(1), delta(2), delta(3)});
  const cv::Vec3d e = rotation_to_euler(composed);
  p.rx = e[0], p.ry = e[1], p.rz = e[2];
  if (static_cast<int>(delta.total()) > 6) {
    p.local.resize(m_, 0.0);
    for (int k = 0; k < m_; ++k)
      p.local[k] += delta(6 + k);
  }
}

void shape_model::clamp(pdm_params& p, bool limit_pose) const {
  p.local.resize(m_, 0.0);
  for (int k = 0; k < m_; ++k) {
    const double lim = 3.0 * std::sqrt(eig_[k]);
    p.local[k] = std::clamp(p.local[k], -lim, lim);
  }
  if (limit_pose) {
    const double h = CV_PI / 2;
    p.rx = std::clamp(p.rx, -h, h);
    p.ry = std::clamp(p.ry, -h, h);
    p.rz = std::clamp(p.rz, -h, h);
  }
}

FACEMIRROR_SIMD_CLONES pdm_params shape_model::fit(const std::vector<cv::Point2d>& lm) const {
  pdm_params p;
  p.local.assign(m_, 0.0);
  // Points at x == 0 are unknown (a part model fed only the landmarks it shares).
  std::vector<int> used;
  for (int i = 0; i < n_; ++i)
    if (lm[i].x != 0 && std::isfinite(lm[i].x) && std::isfinite(lm[i].y))
      used.push_back(i);
  p.scale = 0;
  if (used.size() < 3)
    return p;
  double lx0 = 1e300, lx1 = -1e300, ly0 = 1e300, ly1 = -1e300;
  double mx0 = 1e300, mx1 = -1e300, my0 = 1e300, my1 = -1e300;
  for (int i : used) {
    lx0 = std::min(lx0, lm[i].x), lx1 = std::max(lx1, lm[i].x);
    ly0 = std::min(ly0, lm[i].y), ly1 = std::max(ly1, lm[i].y);
    mx0 = std::min(mx0, mean_[i]), mx1 = std::max(mx1, mean_[i]);
    my0 = std::min(my0, mean_[n_ + i]), my1 = std::max(my1, mean_[n_ + i]);
  }
  if (!(lx1 > lx0 && ly1 > ly0 && mx1 > mx0 && my1 > my0))
    return p;
  p.scale = ((lx1 - lx0) / (mx1 - mx0) + (ly1 - ly0) / (my1 - my0)) / 2;
  p.tx = (lx0 + lx1) / 2, p.ty = (ly0 + ly1) / 2;
  // The box centre is the mean shape's box centre, which need not be the model origin.
  p.tx -= p.scale * (mx0 + mx1) / 2, p.ty -= p.scale * (my0 + my1) / 2;

  cv::Mat_<double> j, h, g, d, resid(2 * n_, 1);
  auto error = [&](const pdm_params& q) {
    const std::vector<cv::Point2d> s = project(q);
    double e = 0;
    resid.setTo(0);
    for (int i : used) {
      resid(2 * i) = lm[i].x - s[i].x, resid(2 * i + 1) = lm[i].y - s[i].y;
      e += resid(2 * i) * resid(2 * i) + resid(2 * i + 1) * resid(2 * i + 1);
    }
    return std::sqrt(e);
  };
  double current = error(p);
  int misses = 0;
  for (int iter = 0; iter < 1000; ++iter) {
    jacobian(p, false, j);
    for (int i = 0; i < n_; ++i)
      if (lm[i].x == 0 || !std::isfinite(lm[i].x) || !std::isfinite(lm[i].y))
        j.row(2 * i).setTo(0), j.row(2 * i + 1).setTo(0);
    // Normal equations by hand: cv::gemm would hand these small products to a threaded BLAS.
    const int dim = j.cols;
    h = cv::Mat_<double>::zeros(dim, dim);
    g = cv::Mat_<double>::zeros(dim, 1);
    for (int r = 0; r < j.rows; ++r) {
      const double* jr = j[r];
      for (int a = 0; a < dim; ++a) {
        if (jr[a] == 0)
          continue;
        g(a) += jr[a] * resid(r);
        double* ha = h[a];
        for (int b = a; b < dim; ++b)
          ha[b] += jr[a] * jr[b];
      }
    }
    for (int a = 0; a < dim; ++a)
      for (int b = 0; b < a; ++b)
        h(a, b) = h(b, a);
    for (int k = 0; k < m_; ++k) {
      h(6 + k, 6 + k) += 1.0 / eig_[k];
      g(6 + k) -= p.local[k] / eig_[k];
    }
    if (!cv::solve(h, g, d, cv::DECOMP_CHOLESKY))
      break;
    update(p, d * 0.75);
    const double e = error(p);
    misses = 0.999 * current < e ? misses + 1 : 0;
    current = e;
    if (misses == 3)
      break;
  }
  return p;
}

cv::Matx22d align_shapes_with_scale(const std::vector<cv::Point2d>& src,
                                    const std::vector<cv::Point2d>& dst) {
  const size_t n = src.size();
  cv::Point2d ms(0, 0), md(0, 0);
  for (size_t i = 0; i < n; ++i)
    ms += src[i], md += dst[i];
  ms /= static_cast<double>(n), md /= static_cast<double>(n);
  double ss = 0, sd = 0, dot = 0, cross = 0;
  for (size_t i = 0; i < n; ++i) {
    const cv::Point2d a = src[i] - ms, b = dst[i] - md;
    ss += a.dot(a), sd += b.dot(b);
    dot += a.x * b.x + a.y * b.y;
    cross += a.x * b.y - a.y * b.x;
  }
  const double s = std::sqrt(sd / ss);
  const double theta = std::atan2(cross, dot);
  const double c = s * std::cos(theta), si = s * std::sin(theta);
  return {c, -si, si, c};
}

}  // namespace facemirror::detail

// point_distribution_model::fit: OpenFace's CalcParams, re-derived from the published maths
// (research notes §4.3): bounding-box initialisation, then regularised Gauss-Newton over
// 6 global + m local parameters with a 0.75-damped update.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "facemirror/error.h"
#include "facemirror/landmarks/pdm.h"

#include "core/simd_clones.h"
#include "landmarks/rotation.h"

namespace facemirror {
namespace {

constexpr int kRigid = 6;  // scale, rx, ry, rz, tx, ty
constexpr int kMaxIterations = 1000;
constexpr double kDamping = 0.75;
constexpr double kImprovement = 0.999;  // an iteration must cut the error by 0.1%...
constexpr int kPatience = 3;            // ...or the fit stops after 3 such misses in a row

// Dot product with four independent accumulators: without -ffast-math the compiler keeps a
// single serial sum, which made the latency-bound reductions below the fit's main cost.
inline double dot(const double* a, const double* b, int n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    s0 += a[k] * b[k];
    s1 += a[k + 1] * b[k + 1];
    s2 += a[k + 2] * b[k + 2];
    s3 += a[k + 3] * b[k + 3];
  }
  for (; k < n; ++k)
    s0 += a[k] * b[k];
  return (s0 + s1) + (s2 + s3);
}

// Solves h * x = g for symmetric positive definite h (n x n row-major, upper triangle used
// and destroyed) by an upper Cholesky factor h = U^T U, computed right-looking so the inner
// loops are contiguous row updates the compiler vectorises (a dot-product formulation was
// dominated by short serial reductions). Overwrites g with x; false if h is not SPD.
bool cholesky_solve(std::vector<double>& h, std::vector<double>& g, int n) {
  for (int k = 0; k < n; ++k) {
    double* uk = h.data() + static_cast<size_t>(k) * n;
    if (!(uk[k] > 0))
      return false;
    const double d = std::sqrt(uk[k]);
    const double inv = 1.0 / d;
    uk[k] = d;
    for (int j = k + 1; j < n; ++j)
      uk[j] *= inv;
    for (int i = k + 1; i < n; ++i) {
      double* __restrict ui = h.data() + static_cast<size_t>(i) * n;
      const double f = uk[i];
      for (int j = i; j < n; ++j)
        ui[j] -= f * uk[j];
    }
  }
  for (int k = 0; k < n; ++k) {  // U^T y = g, column by column
    const double* uk = h.data() + static_cast<size_t>(k) * n;
    g[k] /= uk[k];
    const double y = g[k];
    for (int j = k + 1; j < n; ++j)
      g[j] -= uk[j] * y;
  }
  for (int i = n - 1; i >= 0; --i) {  // U x = y
    const double* ui = h.data() + static_cast<size_t>(i) * n;
    g[i] = (g[i] - dot(ui + i + 1, g.data() + i + 1, n - i - 1)) / ui[i];
  }
  return true;
}

}  // namespace

pdm_params point_distribution_model::fit(const landmarks_2d& landmarks) const {
  FACEMIRROR_CHECK(point_count() == landmark_count, "pdm: fit needs a 68-point model");
  return fit_points(landmarks.data(), fit_start::origin_at_box_centre);
}

pdm_params point_distribution_model::fit(const std::vector<cv::Point2d>& points,
                                         fit_start start) const {
  FACEMIRROR_CHECK(static_cast<int>(points.size()) == point_count(),
                   "pdm: fit needs one point per model point");
  return fit_points(points.data(), start);
}

FACEMIRROR_SIMD_CLONES pdm_params point_distribution_model::fit_points(const cv::Point2d* landmarks,
                                                                       fit_start start) const {
  const int n = point_count(), m = mode_count(), dim = kRigid + m;

  std::vector<int> visible;
  visible.reserve(n);
  for (int i = 0; i < n; ++i)
    if (landmarks[i].x != 0 && std::isfinite(landmarks[i].x) && std::isfinite(landmarks[i].y))
      visible.push_back(i);

  pdm_params p;
  p.local.assign(m, 0.0);
  p.scale = 0;
  if (visible.size() < 3)
    return p;

  // Initialisation: zero rotation and local weights; scale from the landmark box against the
  // mean shape's X/Y box (same points), translation by `start`.
  double lx0 = 1e300, lx1 = -1e300, ly0 = 1e300, ly1 = -1e300;
  double mx0 = 1e300, mx1 = -1e300, my0 = 1e300, my1 = -1e300;
  for (int i : visible) {
    lx0 = std::min(lx0, landmarks[i].x), lx1 = std::max(lx1, landmarks[i].x);
    ly0 = std::min(ly0, landmarks[i].y), ly1 = std::max(ly1, landmarks[i].y);
    mx0 = std::min(mx0, mean_(i, 0)), mx1 = std::max(mx1, mean_(i, 0));
    my0 = std::min(my0, mean_(n + i, 0)), my1 = std::max(my1, mean_(n + i, 0));
  }
  if (!(lx1 > lx0 && ly1 > ly0 && mx1 > mx0 && my1 > my0))
    return p;
  p.scale = ((lx1 - lx0) / (mx1 - mx0) + (ly1 - ly0) / (my1 - my0)) / 2;
  p.tx = (lx0 + lx1) / 2;
  p.ty = (ly0 + ly1) / 2;
  if (start == fit_start::mean_box_at_box_centre) {
    p.tx -= p.scale * (mx0 + mx1) / 2;
    p.ty -= p.scale * (my0 + my1) / 2;
  }

  // Gram matrices of the components over the usable points (precomputed when all are usable).
  std::vector<double> subset_gram;
  const double* gram = gram_.data();
  if (static_cast<int>(visible.size()) != n) {
    gram_over(princ_comp_, visible, subset_gram);
    gram = subset_gram.data();
  }

  const int count = static_cast<int>(visible.size());
  std::vector<double> shape(3 * static_cast<size_t>(count));  // X, Y, Z per usable point
  std::vector<double> resid(2 * static_cast<size_t>(count));  // x, y per usable point
  std::vector<double> hess(static_cast<size_t>(dim) * dim), grad(dim);
  std::vector<double> lx(m), ly(m);
  std::vector<double> inv_eig(m);
  for (int k = 0; k < m; ++k)
    inv_eig[k] = 1.0 / eigen_values_(0, k);

  cv::Matx33d rot = cv::Matx33d::eye();
  // Model shape, projection and residual at the current parameters; returns |residual|.
  auto evaluate = [&]() {
    rot = detail::euler_to_rotation({p.rx, p.ry, p.rz});
    double sq = 0.0;
    for (int j = 0; j < count; ++j) {
      const int i = visible[j];
      double xyz[3];
      for (int a = 0; a < 3; ++a) {
        xyz[a] = mean_(a * n + i, 0) + dot(princ_comp_[a * n + i], p.local.data(), m);
        shape[3 * j + a] = xyz[a];
      }
      const double ex =
          landmarks[i].x -
          (p.scale * (rot(0, 0) * xyz[0] + rot(0, 1) * xyz[1] + rot(0, 2) * xyz[2]) + p.tx);
      const double ey =
          landmarks[i].y -
          (p.scale * (rot(1, 0) * xyz[0] + rot(1, 1) * xyz[1] + rot(1, 2) * xyz[2]) + p.ty);
      resid[2 * j] = ex;
      resid[2 * j + 1] = ey;
      sq += ex * ex + ey * ey;
    }
    return std::sqrt(sq);
  };

  double current_error = evaluate();
  int not_improved = 0;
  for (int iter = 0; iter < kMaxIterations; ++iter) {
    // Normal equations H = J^T J + Lambda, g = J^T r - Lambda p. Rows of J are accumulated
    // point by point for the rigid rows of H; the local-local block is s^2 * sum_ab
    // (delta_ab - R2a R2b) * Gram_ab, because rows 0 and 1 of R span the complement of row 2.
    const double s = p.scale;
    std::fill(hess.begin(), hess.end(), 0.0);
    std::fill(grad.begin(), grad.end(), 0.0);
    for (int j = 0; j < count; ++j) {
      const int i = visible[j];
      const double x = shape[3 * j], y = shape[3 * j + 1], z = shape[3 * j + 2];
      const double jx[kRigid] = {rot(0, 0) * x + rot(0, 1) * y + rot(0, 2) * z,
                                 s * (y * rot(0, 2) - z * rot(0, 1)),
                                 -s * (x * rot(0, 2) - z * rot(0, 0)),
                                 s * (x * rot(0, 1) - y * rot(0, 0)),
                                 1.0,
                                 0.0};
      const double jy[kRigid] = {rot(1, 0) * x + rot(1, 1) * y + rot(1, 2) * z,
                                 s * (y * rot(1, 2) - z * rot(1, 1)),
                                 -s * (x * rot(1, 2) - z * rot(1, 0)),
                                 s * (x * rot(1, 1) - y * rot(1, 0)),
                                 0.0,
                                 1.0};
      const double* vx = princ_comp_[i];
      const double* vy = princ_comp_[n + i];
      const double* vz = princ_comp_[2 * n + i];
      const double ex = resid[2 * j], ey = resid[2 * j + 1];
      double* __restrict jlx = lx.data();
      double* __restrict jly = ly.data();
      double* __restrict g_local = grad.data() + kRigid;
      for (int k = 0; k < m; ++k) {
        jlx[k] = s * (rot(0, 0) * vx[k] + rot(0, 1) * vy[k] + rot(0, 2) * vz[k]);
        jly[k] = s * (rot(1, 0) * vx[k] + rot(1, 1) * vy[k] + rot(1, 2) * vz[k]);
        g_local[k] += jlx[k] * ex + jly[k] * ey;
      }
      for (int a = 0; a < kRigid; ++a) {
        double* __restrict row = hess.data() + static_cast<size_t>(a) * dim;
        for (int b = a; b < kRigid; ++b)
          row[b] += jx[a] * jx[b] + jy[a] * jy[b];
        const double xa = jx[a], ya = jy[a];
        double* __restrict cross = row + kRigid;
        for (int k = 0; k < m; ++k)
          cross[k] += xa * jlx[k] + ya * jly[k];
        grad[a] += xa * ex + ya * ey;
      }
    }
    const double r2[3] = {rot(2, 0), rot(2, 1), rot(2, 2)};
    const double s2 = s * s;
    const double coef[6] = {s2 * (1 - r2[0] * r2[0]), s2 * (1 - r2[1] * r2[1]),
                            s2 * (1 - r2[2] * r2[2]), -s2 * r2[0] * r2[1],
                            -s2 * r2[0] * r2[2],      -s2 * r2[1] * r2[2]};
    const size_t mm = static_cast<size_t>(m) * m;
    for (int k = 0; k < m; ++k) {
      double* row = hess.data() + static_cast<size_t>(kRigid + k) * dim + kRigid;
      for (int l = k; l < m; ++l) {
        const size_t at = static_cast<size_t>(k) * m + l;
        row[l] = coef[0] * gram[at] + coef[1] * gram[mm + at] + coef[2] * gram[2 * mm + at] +
                 coef[3] * gram[3 * mm + at] + coef[4] * gram[4 * mm + at] +
                 coef[5] * gram[5 * mm + at];
      }
      row[k] += inv_eig[k];
      grad[kRigid + k] -= inv_eig[k] * p.local[k];
    }
    if (!cholesky_solve(hess, grad, dim))
      break;

    // Damped update; the rotation is composed (not added) so it stays a rotation.
    for (double& d : grad)
      d *= kDamping;
    p.scale += grad[0];
    p.tx += grad[4];
    p.ty += grad[5];
    for (int k = 0; k < m; ++k)
      p.local[k] += grad[kRigid + k];
    const cv::Matx33d composed =
        rot * detail::orthonormalised_small_rotation({grad[1], grad[2], grad[3]});
    const cv::Vec3d euler = detail::rotation_to_euler(composed);
    p.rx = euler[0], p.ry = euler[1], p.rz = euler[2];

    const double error = evaluate();
    if (kImprovement * current_error < error) {
      if (++not_improved == kPatience)
        break;
    } else {
      not_improved = 0;
    }
    current_error = error;
  }
  return p;
}

}  // namespace facemirror

// Regularised landmark mean-shift (Saragih et al. 2011) over CCNF response maps, with the
// non-uniform weighting of Baltrusaitis et al. 2013 (NU-RLMS), coarse to fine over the scales.
#include <algorithm>
#include <cmath>

#include "facemirror/landmarks/shape_alignment.h"

#include "landmarks/clnf_internal.h"

namespace facemirror::detail {
namespace {

// Kernel centres are snapped to a 0.1 px grid, as the kernel tables of the reference
// implementation are; the shift itself is measured from the unsnapped position.
constexpr double kKdeStep = 0.1;
constexpr int kKdeStepsPerPixel = 10;

// The Gaussian kernel's factors exp(a (q - k)^2), k = 0..w-1, for the offsets q on the kKdeStep
// grid, each row computed the first time its offset comes up in one rlms() call: the landmarks
// return to the same few offsets, and the exponentials were a large part of the optimiser.
class kernel_rows {
 public:
  kernel_rows(int w, double a)
      : w_(w),
        a_(a),
        values_(static_cast<size_t>(kKdeStepsPerPixel * w + 1) * w),
        ready_(kKdeStepsPerPixel * w + 1, 0) {}

  // The row for offset `grid` * kKdeStep (grid = the offset rounded to the grid, as a double).
  const double* row(double grid) {
    const double q = grid * kKdeStep;
    if (grid < 0 || grid >= static_cast<double>(ready_.size())) {  // not met with clamped input
      spare_.resize(w_);
      fill(q, spare_.data());
      return spare_.data();
    }
    const size_t at = static_cast<size_t>(grid);
    double* out = values_.data() + at * w_;
    if (!ready_[at]) {
      fill(q, out);
      ready_[at] = 1;
    }
    return out;
  }

 private:
  void fill(double q, double* out) const {
    for (int k = 0; k < w_; ++k)
      out[k] = std::exp(a_ * (q - k) * (q - k));
  }

  int w_;
  double a_;
  std::vector<double> values_;
  std::vector<char> ready_;
  std::vector<double> spare_;
};

// Kernel-weighted response around (dx, dy) (window coordinates) and the mean-shift target.
double kde(const std::vector<float>& resp, int w, kernel_rows& kernel, double dx, double dy,
           double& mx, double& my) {
  const double* kx = kernel.row(std::floor(dx / kKdeStep + 0.5));
  const double* ky = kernel.row(std::floor(dy / kKdeStep + 0.5));
  // Each row's two sums are serial chains of additions; the rows' chains are independent, so
  // they are run side by side (rs, rx per row), then folded in row order as before.
  double rs[max_window], rx[max_window];
  for (int y = 0; y < w; ++y)
    rs[y] = 0, rx[y] = 0;
  for (int x = 0; x < w; ++x) {
    const double k = kx[x];
    for (int y = 0; y < w; ++y) {
      const double v = resp[static_cast<size_t>(y) * w + x] * k;
      rs[y] += v;
      rx[y] += v * x;
    }
  }
  double sum = 0, sx = 0, sy = 0;
  for (int y = 0; y < w; ++y) {
    sum += rs[y] * ky[y];
    sx += rx[y] * ky[y];
    sy += rs[y] * ky[y] * y;
  }
  mx = sum > 0 ? sx / sum : dx;
  my = sum > 0 ? sy / sum : dy;
  return sum;
}

// Window coordinates of landmark i of `shape` in the response map centred on base[i].
cv::Point2d window_position(const rlms_inputs& in, const std::vector<cv::Point2d>& shape, int i) {
  const cv::Vec2d off = in.to_ref * cv::Vec2d(shape[i].x - in.base[i].x, shape[i].y - in.base[i].y);
  const double c = (in.window - 1) / 2.0;
  const double hi = in.window - kKdeStep;
  return {std::clamp(off[0] + c, 0.0, hi), std::clamp(off[1] + c, 0.0, hi)};
}

}  // namespace

FACEMIRROR_SIMD_CLONES bool rlms(const rlms_inputs& in, bool rigid, pdm_params& p,
                                 const clnf_fit_options& opt,
                                 std::vector<cv::Point2d>* last_offsets) {
  const point_distribution_model& pdm = *in.pdm;
  const int n = pdm.point_count(), m = pdm.mode_count(), dim = rigid ? 6 : 6 + m;
  kernel_rows kernel(in.window, -0.5 / (in.sigma * in.sigma));
  std::vector<double> weight(n, 0.0);
  for (int i = 0; i < n; ++i) {
    if ((*in.responses)[i].empty())
      continue;
    weight[i] = in.weight_factor > 0 && in.experts
                    ? in.weight_factor * in.experts->patches[in.view][i].confidence
                    : 1.0;
  }
  cv::Mat_<double> j, h(dim, dim), g(dim, 1), d;
  std::vector<cv::Point2d> previous;
  for (int iter = 0; iter < opt.iterations; ++iter) {
    const std::vector<cv::Point2d> shape = pdm.project_points(p);
    if (iter > 0) {
      double moved = 0;
      for (int i = 0; i < n; ++i) {
        const cv::Point2d e = shape[i] - previous[i];
        moved += e.dot(e);
      }
      if (std::sqrt(moved) < opt.convergence_px)
        return true;
    }
    previous = shape;
    if (last_offsets) {
      last_offsets->resize(n);
      const double c = (in.window - 1) / 2.0;
      for (int i = 0; i < n; ++i) {
        const cv::Vec2d off =
            in.to_ref * cv::Vec2d(shape[i].x - in.base[i].x, shape[i].y - in.base[i].y);
        (*last_offsets)[i] = {off[0] + c, off[1] + c};
      }
    }
    pdm.jacobian(p, rigid, j);
    h.setTo(0);
    g.setTo(0);
    for (int i = 0; i < n; ++i) {
      if (weight[i] == 0)
        continue;
      const cv::Point2d at = window_position(in, shape, i);
      double mx, my;
      kde((*in.responses)[i], in.window, kernel, at.x, at.y, mx, my);
      const cv::Vec2d shift = in.to_img * cv::Vec2d(mx - at.x, my - at.y);
      const double* jx = j[2 * i];
      const double* jy = j[2 * i + 1];
      const double wt = weight[i];
      for (int r = 0; r < dim; ++r) {
        const double ax = wt * jx[r], ay = wt * jy[r];
        g(r) += ax * shift[0] + ay * shift[1];
        double* hr = h[r];
        for (int c = r; c < dim; ++c)
          hr[c] += ax * jx[c] + ay * jy[c];
      }
    }
    for (int r = 0; r < dim; ++r)
      for (int c = 0; c < r; ++c)
        h(r, c) = h(c, r);
    if (!rigid) {
      for (int k = 0; k < m; ++k) {
        const double lambda = in.reg / pdm.eigenvalues()(0, k);
        h(6 + k, 6 + k) += lambda;
        g(6 + k) -= lambda * p.local[k];
      }
    }
    if (!cv::solve(h, g, d, cv::DECOMP_CHOLESKY))
      return false;
    pdm.apply_step(p, d);
    pdm.clamp(p, opt.limit_pose);
  }
  return false;
}

level_fit fit_level(const clnf_level& level, const cv::Mat& grey, pdm_params& p,
                    const clnf_fit_options& options) {
  const point_distribution_model& pdm = level.pdm;
  p.local.resize(pdm.mode_count(), 0.0);
  level_fit out;
  std::vector<std::vector<float>> responses;
  for (size_t s = 0; s < level.scales.size(); ++s) {
    const ccnf_scale& experts = level.scales[s];
    const int window = s < options.window_sizes.size() ? options.window_sizes[s] : 0;
    // No scale is skipped for the face's size: on faces of 0.36-0.45 (50-65 px wide) the
    // reference runs the 0.5 experts too (skipping them left those fits 0.15 px off).
    if (window <= 0)
      continue;
    rlms_inputs in;
    in.pdm = &pdm;
    in.experts = &experts;
    in.window = window;
    in.view = experts.view_for(p);
    in.responses = &responses;
    in.base = pdm.project_points(p);
    // The reference frame: the current non-rigid shape, unrotated, at the experts' scale.
    pdm_params ref;
    ref.scale = experts.scale;
    ref.local = p.local;
    in.to_ref = align_shapes_with_scale(in.base, pdm.project_points(ref));
    in.to_img = in.to_ref.inv();
    in.sigma = options.sigma;
    in.reg = options.reg_factor;
    in.weight_factor = options.weight_factor;
    if (options.adapt_per_scale) {
      const double octave = std::log2(experts.scale / 0.25);
      in.reg = std::max(0.001, in.reg - 15 * octave);
      in.sigma += 0.25 * octave;
      in.weight_factor += 2 * in.weight_factor * octave;
    }
    patch_responses(grey, in.base, in.to_ref, experts, in.view, window, responses);
    rlms(in, true, p, options);
    std::vector<cv::Point2d> last;
    out.converged = rlms(in, false, p, options, &last);

    // Likelihood under this scale's responses, as OpenFace computes it: at the position where
    // the last mean-shift was taken (before the last update), unclamped, with the exact
    // Gaussian kernel rather than the 0.1 px table.
    const double a = -0.5 / (in.sigma * in.sigma);
    double total = 0;
    int count = 0;
    for (int i = 0; i < pdm.point_count(); ++i) {
      if (responses[i].empty() || last.empty())
        continue;
      const std::vector<float>& r = responses[i];
      double sum = 0;
      for (int y = 0; y < window; ++y)
        for (int x = 0; x < window; ++x) {
          const double ex = last[i].x - x, ey = last[i].y - y;
          sum += r[static_cast<size_t>(y) * window + x] * std::exp(a * (ex * ex + ey * ey));
        }
      total += std::log(sum + 1e-8);
      ++count;
    }
    out.likelihood = count ? total / count : 0;
    if (p.scale < options.min_face_scale) {
      out.too_small = true;
      break;
    }
  }
  return out;
}

}  // namespace facemirror::detail

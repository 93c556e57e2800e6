// CCNF patch experts: the binary model format (as laid out in OpenFace's ccnf_patches_*.txt
// files, established by reading them) and the response maps of Baltrusaitis et al. 2013.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>

#include <opencv2/imgproc.hpp>

#include "facemirror/error.h"

#include "core/model_file.h"
#include "landmarks/clnf_internal.h"

namespace facemirror::detail {
namespace {

// Eight floats as one value: GCC and Clang map it to one AVX register or two SSE ones, with the
// same lane-by-lane arithmetic on both.
typedef float float8 __attribute__((vector_size(32)));

// (An out-parameter: returning a vector by value warns of an ABI change in the SSE2 build.)
inline void load8(const float* p, float8& v) {
  std::memcpy(&v, p, sizeof v);
}

inline float lane_sum(const float8& acc) {
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

// Dot product with eight independent partial sums: without -ffast-math the compiler will not
// reorder a single float reduction, which left the response maps (most of the fit's time)
// unvectorised.
inline float dot8(const float* a, const float* b, int n) {
  float8 acc = {};
  int t = 0;
  float8 at, bt;
  for (; t + 8 <= n; t += 8) {
    load8(a + t, at);
    load8(b + t, bt);
    acc += at * bt;
  }
  float s = lane_sum(acc);
  for (; t < n; ++t)
    s += a[t] * b[t];
  return s;
}

// The patch rows are a few floats each (11 at most in the shipped models): a library memcpy call
// per row cost as much as copying.
inline void copy_row(const float* src, int n, float* dst) {
  int t = 0;
  float8 v;
  for (; t + 8 <= n; t += 8) {
    load8(src + t, v);
    std::memcpy(dst + t, &v, sizeof v);
  }
  for (; t < n; ++t)
    dst[t] = src[t];
}

// dot8 of `rows` consecutive rows of `a` (`stride` floats apart) with `b`, four rows at a time.
// One dot8 is a chain of dependent vector additions that keeps the adder waiting on itself;
// four independent chains overlap. Each row is still summed in dot8's exact order, so the
// results are bit-identical to calling dot8 row by row.
inline void dot8_rows(const float* a, size_t stride, const float* b, int n, int rows, float* out) {
  int r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float* a0 = a + r * stride;
    const float* a1 = a0 + stride;
    const float* a2 = a1 + stride;
    const float* a3 = a2 + stride;
    float8 acc0 = {}, acc1 = {}, acc2 = {}, acc3 = {};
    int t = 0;
    float8 bt, x0, x1, x2, x3;
    for (; t + 8 <= n; t += 8) {
      load8(b + t, bt);
      load8(a0 + t, x0);
      load8(a1 + t, x1);
      load8(a2 + t, x2);
      load8(a3 + t, x3);
      acc0 += x0 * bt;
      acc1 += x1 * bt;
      acc2 += x2 * bt;
      acc3 += x3 * bt;
    }
    float s0 = lane_sum(acc0), s1 = lane_sum(acc1), s2 = lane_sum(acc2), s3 = lane_sum(acc3);
    for (; t < n; ++t) {
      s0 += a0[t] * b[t];
      s1 += a1[t] * b[t];
      s2 += a2[t] * b[t];
      s3 += a3[t] * b[t];
    }
    out[r] = s0, out[r + 1] = s1, out[r + 2] = s2, out[r + 3] = s3;
  }
  for (; r < rows; ++r)
    out[r] = dot8(a + r * stride, b, n);
}

ccnf_patch read_patch(model_file& in, int n_betas) {
  ccnf_patch p;
  if (in.i32("patch header") != 5)
    in.fail("patch expert: unexpected record type");
  p.width = in.i32("patch width");
  p.height = in.i32("patch height");
  const int n_neurons = in.i32("neuron count");
  if (p.width <= 0 || p.height <= 0 || p.width > 64 || p.height > 64 || n_neurons < 0 ||
      n_neurons > 1000)
    in.fail("patch expert: bad size or neuron count");
  if (n_neurons == 0) {           // an expert for a landmark hidden in this view: one padding int
    (void)in.i32("empty patch");  // padding
    return p;
  }
  for (int k = 0; k < n_neurons; ++k) {
    if (in.i32("neuron header") != 2)
      in.fail("neuron: unexpected record type");
    ccnf_neuron nr;
    nr.type = in.i32("neuron type");
    nr.norm = static_cast<float>(in.f64("neuron norm"));
    nr.bias = static_cast<float>(in.f64("neuron bias"));
    nr.alpha = static_cast<float>(in.f64("neuron alpha"));
    const cv::Mat_<double> w = in.mat("neuron weights");
    if (nr.type != 0)
      in.fail("neuron: unsupported type " + std::to_string(nr.type));
    if (w.rows != p.height || w.cols != p.width)
      in.fail("neuron weights do not match the patch size");
    // Normalised cross-correlation ignores the template's mean and scale: fold both in now.
    const double mean = cv::mean(w)[0];
    double sq = 0;
    for (double v : w)
      sq += (v - mean) * (v - mean);
    const double inv = sq > 0 ? 1.0 / std::sqrt(sq) : 0.0;
    for (double v : w)
      nr.weights.push_back(static_cast<float>((v - mean) * inv));
    p.neurons.push_back(std::move(nr));
  }
  for (int b = 0; b < n_betas; ++b)
    p.betas.push_back(in.f64("beta"));
  p.confidence = in.f64("patch confidence");
  return p;
}

}  // namespace

cv::Mat_<float> ccnf_patch::compute_sigma(const std::vector<cv::Mat_<float>>& comps, int w) const {
  const int n = w * w;
  double sum_alpha = 0;
  for (const auto& nr : neurons)
    sum_alpha += nr.alpha;
  cv::Mat_<double> inv_sigma = cv::Mat_<double>::eye(n, n) * sum_alpha;
  for (size_t b = 0; b < comps.size() && b < betas.size(); ++b) {
    cv::Mat_<double> c;
    comps[b].convertTo(c, CV_64F);
    inv_sigma += betas[b] * c;
  }
  inv_sigma *= 2.0;
  cv::Mat_<double> result;
  cv::invert(inv_sigma, result, cv::DECOMP_CHOLESKY);
  cv::Mat_<float> out;
  result.convertTo(out, CV_32F);
  return out;
}

namespace {

// The S_k of window `w`; none when the file holds no sigma components for it.
const std::vector<cv::Mat_<float>>& components_for(
    int w, const std::map<int, std::vector<cv::Mat_<float>>>& components) {
  static const std::vector<cv::Mat_<float>> none;
  const auto it = components.find(w);
  return it == components.end() ? none : it->second;
}

}  // namespace

const cv::Mat_<float>& ccnf_patch::cached_sigma::get(
    const ccnf_patch& patch, const std::map<int, std::vector<cv::Mat_<float>>>& components,
    int w) const {
  std::call_once(once_, [&] { sigma_ = patch.compute_sigma(components_for(w, components), w); });
  return sigma_;
}

// The cached matrix is looked up first: once it is filled, a fit needs nothing else here.
const cv::Mat_<float>& ccnf_patch::sigma_for(
    int w, const std::map<int, std::vector<cv::Mat_<float>>>& components,
    cv::Mat_<float>& scratch) const {
  const auto cached = sigma.find(w);
  if (cached != sigma.end())
    return cached->second->get(*this, components, w);
  scratch = compute_sigma(components_for(w, components), w);
  return scratch;
}

int ccnf_scale::view_for(const pdm_params& p) const {
  int best = 0;
  double best_d = 1e300;
  for (size_t v = 0; v < view_centres.size(); ++v) {
    const cv::Vec3d d = view_centres[v] - cv::Vec3d(p.rx, p.ry, p.rz);
    if (d.dot(d) < best_d)
      best_d = d.dot(d), best = static_cast<int>(v);
  }
  return best;
}

ccnf_scale load_ccnf_scale(const std::filesystem::path& file, const std::vector<int>& windows) {
  model_file in(file);
  ccnf_scale s;
  s.scale = in.f64("patch scale");
  const int views = in.i32("view count");
  if (!(s.scale > 0) || views <= 0 || views > 64)
    in.fail("bad patch scale or view count");
  for (int v = 0; v < views; ++v) {
    const cv::Mat_<double> c = in.mat("view centre");
    if (c.total() != 3)
      in.fail("view centre is not 3 angles");
    s.view_centres.emplace_back(c(0) * CV_PI / 180, c(1) * CV_PI / 180, c(2) * CV_PI / 180);
  }
  int points = -1;
  for (int v = 0; v < views; ++v) {
    const cv::Mat_<double> vis = in.mat("visibility");
    if (vis.empty())
      in.fail("a view's visibility lists no landmarks");
    if (points >= 0 && static_cast<int>(vis.total()) != points)
      in.fail("views disagree on the landmark count");
    points = static_cast<int>(vis.total());
    std::vector<int>& flags = s.visibility.emplace_back();
    for (const double flag : vis) {
      if (!(std::abs(flag) <= 1e9))  // NaN included: converting it to int is undefined
        in.fail("a visibility flag is not a small integer");
      flags.push_back(static_cast<int>(flag));
    }
  }
  const int n_windows = in.i32("window count");
  if (n_windows < 0 || n_windows > 64)
    in.fail("bad window count");
  int n_betas = -1;
  for (int k = 0; k < n_windows; ++k) {
    const int w = in.i32("window size");
    const int n_comp = in.i32("sigma component count");
    if (w <= 0 || w > 64 || n_comp < 0 || n_comp > 16 || (n_betas >= 0 && n_comp != n_betas))
      in.fail("bad window size or sigma component count");
    n_betas = n_comp;
    auto& comps = s.sigma_components[w];
    for (int c = 0; c < n_comp; ++c) {
      cv::Mat_<float> m;
      in.mat("sigma component").convertTo(m, CV_32F);
      if (m.rows != w * w || m.cols != w * w)
        in.fail("sigma component does not match its window");
      comps.push_back(m);
    }
  }
  for (int v = 0; v < views; ++v) {
    s.patches.emplace_back();
    for (int i = 0; i < points; ++i) {
      s.patches.back().push_back(read_patch(in, std::max(n_betas, 0)));
      ccnf_patch& p = s.patches.back().back();
      if (p.empty())
        continue;
      for (int w : windows)
        if (w > 0 && !p.sigma.count(w))
          p.sigma.emplace(w, std::make_unique<ccnf_patch::cached_sigma>());
    }
  }
  if (!in.at_end())
    in.fail("trailing data after the last patch expert");
  return s;
}

// The response maps are most of a fit's time (see FACEMIRROR_SIMD_CLONES).
FACEMIRROR_SIMD_CLONES void patch_responses(const cv::Mat& grey,
                                            const std::vector<cv::Point2d>& shape,
                                            const cv::Matx22d& to_ref, const ccnf_scale& experts,
                                            int view, int window,
                                            std::vector<std::vector<float>>& responses) {
  const cv::Matx22d to_img = to_ref.inv();
  const int n = static_cast<int>(shape.size());
  responses.assign(n, {});
  std::vector<float> cols, sums, dots;
  cv::Mat_<float> roi, local_sigma;
  cv::Mat_<double> sum, sqsum;
  for (int i = 0; i < n; ++i) {
    if (!experts.visibility[view][i])
      continue;
    const ccnf_patch& patch = experts.patches[view][i];
    if (patch.empty())
      continue;
    const int pw = patch.width, ph = patch.height, np = pw * ph;
    const int rw = window + pw - 1, rh = window + ph - 1;
    // Sample the search area in the reference frame, centred on the landmark: reference pixel
    // (u, v) sits at landmark + to_img * (u - cu, v - cv).
    const double a = to_img(0, 0), b = to_img(1, 0);
    const double cu = (rw - 1) / 2.0, cv_ = (rh - 1) / 2.0;
    const cv::Matx23d warp(a, -b, shape[i].x - a * cu + b * cv_, b, a,
                           shape[i].y - b * cu - a * cv_);
    warp_linear(grey, warp, cv::Size(rw, rh), roi);

    // im2col: one contiguous row of pixels per window position, with its normaliser. The
    // window sums come from integral images: summing each patch anew was a serial chain of
    // double additions per pixel, slower than all the neurons' dot products together.
    const int positions = window * window;
    cols.resize(static_cast<size_t>(positions) * np);
    sums.resize(positions);
    cv::integral(roi, sum, sqsum, CV_64F, CV_64F);
    for (int y = 0; y < window; ++y)
      for (int x = 0; x < window; ++x) {
        float* dst = cols.data() + static_cast<size_t>(y * window + x) * np;
        for (int r = 0; r < ph; ++r)
          copy_row(roi[y + r] + x, pw, dst + r * pw);
        const double s = sum(y + ph, x + pw) - sum(y, x + pw) - sum(y + ph, x) + sum(y, x);
        const double sq = sqsum(y + ph, x + pw) - sqsum(y, x + pw) - sqsum(y + ph, x) + sqsum(y, x);
        const double var = sq - s * s / np;  // sum of squared deviations
        sums[y * window + x] = var > 1e-10 ? static_cast<float>(1.0 / std::sqrt(var)) : 0.f;
      }

    std::vector<float> total(positions, 0.f);
    dots.resize(positions);
    for (const ccnf_neuron& nr : patch.neurons) {
      if (nr.alpha < 1e-4f)  // negligible neurons were left out in training-time evaluation
        continue;
      dot8_rows(cols.data(), np, nr.weights.data(), np, positions, dots.data());
      // The logistic in three passes: only the exponential stays a scalar library call, the
      // arithmetic around it vectorises (each value still gets the same operations).
      for (int k = 0; k < positions; ++k) {
        const float ncc = dots[k] * sums[k];  // template is zero-mean, so the patch mean drops out
        dots[k] = -(ncc * nr.norm + nr.bias);
      }
      for (int k = 0; k < positions; ++k)
        dots[k] = std::exp(dots[k]);
      const float twice_alpha = 2.f * nr.alpha;
      for (int k = 0; k < positions; ++k)
        total[k] += twice_alpha / (1.f + dots[k]);
    }

    // The CRF's mean: Sigma * b (b already holds the 2 alpha factors).
    const cv::Mat_<float>& sigma = patch.sigma_for(window, experts.sigma_components, local_sigma);
    std::vector<float>& out = responses[i];
    out.assign(positions, 0.f);
    dot8_rows(sigma[0], sigma.step1(), total.data(), positions, positions, out.data());
    float lowest = 1e30f;
    for (float v : out)
      lowest = std::min(lowest, v);
    if (lowest < 0)  // mean-shift needs non-negative weights
      for (float& v : out)
        v -= lowest;
  }
}

}  // namespace facemirror::detail

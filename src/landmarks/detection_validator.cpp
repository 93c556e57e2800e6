// OpenFace 2.2's detection validator (include/facemirror/landmarks/detection_validator.h).
//
// File layout of validator_cnn.txt (little-endian; "mat" = int32 rows, cols, OpenCV type, then
// row-major data), established by reading the shipped file:
//   int32 validator type (3: CNN), int32 view count V
//   V x mat 3x1 view centre (pitch, yaw, roll; degrees)
//   per view:
//     mat 1xN mean, mat 1xN standard deviation (N = pixels in the mask, column-major order)
//     int32 layer count, then per layer int32 type and its data:
//       0 convolution: int32 inputs, int32 kernels, float32 bias per kernel, then
//         inputs x kernels mats (input-major), each a kernel applied as valid cross-correlation
//       1 max-pool 2x2 stride 2   2 fully connected: mat bias (out x 1), mat weights (in x out)
//       3 ReLU                    4 sigmoid
//     piecewise-affine warp: int32 N, float64 origin x, y (reference coordinate of pixel
//       (0, 0)), mat 136x1 reference shape (x0..x67, y0..y67), mat Tx3 triangulation,
//       mat HxW triangle per pixel (-1 outside), mat HxW mask, mat Tx3 alpha, mat Tx3 beta.
//       A pixel p of triangle (i, j, k) maps to  s_i + a(p) (s_j - s_i) + b(p) (s_k - s_i)
//       where a(p) = alpha . (1, p.x, p.y) and b(p) = beta . (1, p.x, p.y).
// The arithmetic is kept in float where OpenFace computes in float, so that the arg-max bin
// (the only thing the output keeps) agrees with OpenFace's on borderline frames.
#include "facemirror/landmarks/detection_validator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "facemirror/error.h"

#include "core/blas.h"
#include "core/model_file.h"

namespace facemirror {
namespace {

enum class layer_kind { conv = 0, max_pool = 1, dense = 2, relu = 3, sigmoid = 4 };

struct layer {
  layer_kind kind = layer_kind::relu;
  int inputs = 0, outputs = 0, kh = 0, kw = 0;  // conv: maps and kernel size; dense: sizes
  // conv: (inputs*kh*kw + 1) x outputs, rows ordered (input, col, row) with the bias last (the
  // order of OpenFace's sums, see convolve); dense: outputs x inputs.
  cv::Mat_<float> weights;
  cv::Mat_<float> bias;  // dense: outputs x 1
};

struct piecewise_warp {
  cv::Point2f origin;  // reference coordinate of grid pixel (0, 0)
  landmarks_2d reference{};
  std::vector<std::array<int, 3>> triangles;
  std::vector<std::array<float, 6>> barycentric;  // alpha (3) then beta (3) per triangle
  cv::Mat_<uchar> mask;
  cv::Mat_<int> triangle_of;
  std::vector<cv::Point> pixels;  // mask pixels, column-major: the order of mean/stddev
};

struct view_model {
  cv::Vec3d centre;              // radians
  cv::Mat_<float> mean, stddev;  // per mask pixel
  std::vector<layer> layers;
  piecewise_warp paw;
};

using maps_t = std::vector<cv::Mat_<float>>;

// Valid cross-correlation of every input map with its kernels, summed per output: one BLAS
// single-precision GEMM of the unrolled input patches (one row per output pixel, the columns
// ordered map by map, each kernel column by column, then a 1 for the bias) with the weights.
// Each output is a float sum of many products; this is the layout and the GEMM OpenFace 2.2
// computes it with (OpenBLAS's sgemm, column-major, no transposes), so the sums round as
// OpenFace's do. Another order (cv::gemm on row-major kernels, the bias added afterwards) moves
// the outputs by a few ulp; on the fifteen shared videos no frame's bin changed with it.
maps_t convolve(const maps_t& in, const layer& l) {
  const int oh = in[0].rows - l.kh + 1, ow = in[0].cols - l.kw + 1;
  const int rows = oh * ow, depth = l.weights.rows, kernels = l.outputs;
  cv::Mat_<float> patches(rows, depth);
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x) {
      float* row = patches.ptr<float>(y * ow + x);
      for (int m = 0; m < l.inputs; ++m)
        for (int dx = 0; dx < l.kw; ++dx)
          for (int dy = 0; dy < l.kh; ++dy)
            *row++ = in[m](y + dy, x + dx);
      *row = 1.0f;
    }
  cv::Mat_<float> out(rows, kernels);
  const float one = 1.0f, zero = 0.0f;
  // Column-major: out^T (kernels x rows) = weights^T (kernels x depth) * patches^T.
  sgemm_("N", "N", &kernels, &rows, &depth, &one, l.weights.ptr<float>(), &kernels,
         patches.ptr<float>(), &depth, &zero, out.ptr<float>(), &kernels);
  maps_t result(kernels);
  for (int k = 0; k < kernels; ++k) {
    result[k].create(oh, ow);
    for (int q = 0; q < rows; ++q)
      result[k](q) = out(q, k);
  }
  return result;
}

// 2x2, stride 2; an odd last row/column pools alone (OpenFace rounds the output size up).
maps_t max_pool(const maps_t& in) {
  maps_t out;
  for (const auto& m : in) {
    cv::Mat_<float> p((m.rows + 1) / 2, (m.cols + 1) / 2);
    for (int y = 0; y < p.rows; ++y)
      for (int x = 0; x < p.cols; ++x) {
        float best = m(2 * y, 2 * x);
        for (int yy = 2 * y; yy < std::min(m.rows, 2 * y + 2); ++yy)
          for (int xx = 2 * x; xx < std::min(m.cols, 2 * x + 2); ++xx)
            best = std::max(best, m(yy, xx));
        p(y, x) = best;
      }
    out.push_back(p);
  }
  return out;
}

// Maps flattened column by column, one after another (OpenFace's order), then W v + b.
maps_t dense(const maps_t& in, const layer& l) {
  cv::Mat_<float> v(l.inputs, 1);
  int k = 0;
  for (const auto& m : in)
    for (int x = 0; x < m.cols; ++x)
      for (int y = 0; y < m.rows; ++y)
        v(k++) = m(y, x);
  cv::Mat_<float> out;
  cv::gemm(l.weights, v, 1.0, l.bias, 1.0, out);
  return {out};
}

layer read_layer(detail::model_file& in) {
  layer l;
  const int type = in.i32("layer type");
  if (type < 0 || type > 4)
    in.fail("unknown layer type " + std::to_string(type));
  l.kind = static_cast<layer_kind>(type);
  if (l.kind == layer_kind::conv) {
    l.inputs = in.i32("convolution inputs");
    l.outputs = in.i32("convolution kernels");
    if (l.inputs < 1 || l.outputs < 1 || l.inputs > 4096 || l.outputs > 4096)
      in.fail("bad convolution layer size");
    std::vector<float> bias(l.outputs);
    for (float& b : bias)
      b = in.f32("convolution bias");
    for (int m = 0; m < l.inputs; ++m)
      for (int k = 0; k < l.outputs; ++k) {
        const cv::Mat_<double> kernel = in.mat("convolution kernel");
        if (m == 0 && k == 0) {
          l.kh = kernel.rows, l.kw = kernel.cols;
          if (l.kh < 1 || l.kw < 1 || int64_t{l.inputs} * l.kh * l.kw > 10'000'000)
            in.fail("bad convolution kernel size");
          l.weights.create(l.inputs * l.kh * l.kw + 1, l.outputs);
          for (int j = 0; j < l.outputs; ++j)
            l.weights(l.weights.rows - 1, j) = bias[j];
        }
        if (kernel.rows != l.kh || kernel.cols != l.kw)
          in.fail("convolution kernels of different sizes");
        for (int x = 0; x < l.kw; ++x)
          for (int y = 0; y < l.kh; ++y)
            l.weights((m * l.kw + x) * l.kh + y, k) = static_cast<float>(kernel(y, x));
      }
  } else if (l.kind == layer_kind::dense) {
    const cv::Mat_<double> bias = in.mat("dense bias"), weights = in.mat("dense weights");
    l.inputs = weights.rows, l.outputs = weights.cols;
    if (bias.rows != l.outputs || bias.cols != 1 || l.inputs < 1 || l.outputs < 1)
      in.fail("fully connected weights and bias disagree");
    cv::Mat(weights.t()).convertTo(l.weights, CV_32F);
    bias.convertTo(l.bias, CV_32F);
  }
  return l;
}

// The layers come before the warp that fixes the input size: check that they chain on it and
// end in a vector once both are read.
void check_chain(detail::model_file& in, const std::vector<layer>& layers, int rows, int cols) {
  int maps = 1;
  for (const layer& l : layers) {
    if (l.kind == layer_kind::conv) {
      if (l.inputs != maps || l.kh > rows || l.kw > cols)
        in.fail("convolution layer does not fit its input");
      maps = l.outputs, rows -= l.kh - 1, cols -= l.kw - 1;
    } else if (l.kind == layer_kind::max_pool) {
      if (rows < 2 || cols < 2)
        in.fail("max-pool on an input smaller than 2x2");
      rows = (rows + 1) / 2, cols = (cols + 1) / 2;
    } else if (l.kind == layer_kind::dense) {
      if (l.inputs != maps * rows * cols)
        in.fail("fully connected layer does not fit its input");
      maps = 1, rows = l.outputs, cols = 1;
    }
  }
  if (layers.back().kind == layer_kind::conv || layers.back().kind == layer_kind::max_pool ||
      maps != 1 || cols != 1)
    in.fail("network does not end in a vector");
}

piecewise_warp read_warp(detail::model_file& in) {
  piecewise_warp w;
  const int pixels = in.i32("warp pixel count");
  const double ox = in.f64("warp origin"), oy = in.f64("warp origin");
  w.origin = {static_cast<float>(ox), static_cast<float>(oy)};
  const cv::Mat_<double> shape = in.mat("reference shape");
  const cv::Mat_<double> tris = in.mat("triangulation");
  const cv::Mat_<double> tri_of = in.mat("triangle map");
  const cv::Mat_<double> mask = in.mat("mask");
  const cv::Mat_<double> alpha = in.mat("warp alpha"), beta = in.mat("warp beta");
  if (shape.total() != 2 * landmark_count)
    in.fail("reference shape is not 68 points");
  for (int i = 0; i < landmark_count; ++i)
    w.reference[i] = {shape(i), shape(i + landmark_count)};
  const int n_tri = tris.rows;
  if (tris.cols != 3 || n_tri < 1 || alpha.rows != n_tri || alpha.cols != 3 || beta.rows != n_tri ||
      beta.cols != 3)
    in.fail("triangulation and warp coefficients disagree");
  for (int t = 0; t < n_tri; ++t) {
    std::array<int, 3> tri{};
    for (int c = 0; c < 3; ++c) {
      if (!(tris(t, c) >= 0 && tris(t, c) < landmark_count))  // NaN included
        in.fail("triangulation names a landmark out of range");
      tri[c] = static_cast<int>(tris(t, c));
    }
    w.triangles.push_back(tri);
    w.barycentric.push_back({static_cast<float>(alpha(t, 0)), static_cast<float>(alpha(t, 1)),
                             static_cast<float>(alpha(t, 2)), static_cast<float>(beta(t, 0)),
                             static_cast<float>(beta(t, 1)), static_cast<float>(beta(t, 2))});
  }
  if (mask.size() != tri_of.size() || mask.rows < 2 || mask.cols < 2)
    in.fail("mask and triangle map disagree");
  mask.convertTo(w.mask, CV_8U);
  tri_of.convertTo(w.triangle_of, CV_32S);
  for (int x = 0; x < w.mask.cols; ++x)
    for (int y = 0; y < w.mask.rows; ++y)
      if (w.mask(y, x)) {
        if (w.triangle_of(y, x) < 0 || w.triangle_of(y, x) >= n_tri)
          in.fail("mask pixel outside every triangle");
        w.pixels.emplace_back(x, y);
      }
  if (static_cast<int>(w.pixels.size()) != pixels)
    in.fail("mask pixel count disagrees with its header");
  return w;
}

view_model read_view(detail::model_file& in) {
  view_model v;
  const cv::Mat_<double> mean = in.mat("mean image"), stddev = in.mat("standard deviations");
  const int depth = in.i32("layer count");
  if (depth < 1 || depth > 64)
    in.fail("bad layer count " + std::to_string(depth));
  for (int k = 0; k < depth; ++k)
    v.layers.push_back(read_layer(in));
  v.paw = read_warp(in);
  check_chain(in, v.layers, v.paw.mask.rows, v.paw.mask.cols);
  const auto n = static_cast<int>(v.paw.pixels.size());
  if (static_cast<int>(mean.total()) != n || static_cast<int>(stddev.total()) != n)
    in.fail("normalisation size disagrees with the mask");
  mean.reshape(1, n).convertTo(v.mean, CV_32F);
  stddev.reshape(1, n).convertTo(v.stddev, CV_32F);
  for (int i = 0; i < n; ++i)
    if (!(v.stddev(i) > 0.0f))
      in.fail("non-positive standard deviation");
  return v;
}

void require_8bit(const cv::Mat& image) {
  if (image.depth() != CV_8U || image.empty() || image.channels() == 2 || image.channels() > 4)
    throw error(error_code::invalid_argument,
                "detection_validator: image must be 8-bit grey, BGR or BGRA");
}

// The grey levels OpenFace validates on (its frames go through cv::COLOR_BGR2GRAY).
cv::Mat to_grey(const cv::Mat& image) {
  if (image.channels() == 1)
    return image;
  cv::Mat grey;
  if (image.channels() == 3)
    cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
  else
    cv::cvtColor(image, grey, cv::COLOR_BGRA2GRAY);
  return grey;
}

// OpenFace's warp: crop to the landmarks' box plus 3 px (landmarks in float, relative to the
// crop), one affine map per triangle, bilinear remap. Returns false when the box misses the
// image.
bool warp_face(const cv::Mat& image, const landmarks_2d& landmarks, const piecewise_warp& w,
               cv::Mat_<float>& warped) {
  require_8bit(image);
  std::array<float, landmark_count> xs{}, ys{};
  for (int i = 0; i < landmark_count; ++i) {
    if (!std::isfinite(landmarks[i].x) || !std::isfinite(landmarks[i].y) ||
        std::abs(landmarks[i].x) > 1e7 || std::abs(landmarks[i].y) > 1e7)
      return false;
    xs[i] = static_cast<float>(landmarks[i].x), ys[i] = static_cast<float>(landmarks[i].y);
  }
  const auto [min_x, max_x] = std::minmax_element(xs.begin(), xs.end());
  const auto [min_y, max_y] = std::minmax_element(ys.begin(), ys.end());
  // Truncation towards zero, as OpenFace's int casts do.
  const int x0 = std::max(0, static_cast<int>(*min_x - 3.0f));
  const int y0 = std::max(0, static_cast<int>(*min_y - 3.0f));
  const int x1 = std::min(image.cols - 1, static_cast<int>(*max_x + 3.0f));
  const int y1 = std::min(image.rows - 1, static_cast<int>(*max_y + 3.0f));
  if (x1 - x0 <= 1 || y1 - y0 <= 1)
    return false;
  // Only the crop is converted to grey: the same pixels as converting the frame, less work.
  cv::Mat_<float> crop;
  to_grey(image(cv::Rect(x0, y0, x1 - x0, y1 - y0))).convertTo(crop, CV_32F);
  for (int i = 0; i < landmark_count; ++i)
    xs[i] -= static_cast<float>(x0), ys[i] -= static_cast<float>(y0);

  // Per triangle: source = c + M * reference pixel, from the barycentric coefficients.
  std::vector<std::array<float, 6>> coeff(w.triangles.size());
  for (size_t t = 0; t < w.triangles.size(); ++t) {
    const auto [i, j, k] = w.triangles[t];
    const auto& ab = w.barycentric[t];
    const float c1 = xs[i], c2 = xs[j] - c1, c3 = xs[k] - c1;
    const float c4 = ys[i], c5 = ys[j] - c4, c6 = ys[k] - c4;
    coeff[t] = {c1 + c2 * ab[0] + c3 * ab[3], c2 * ab[1] + c3 * ab[4], c2 * ab[2] + c3 * ab[5],
                c4 + c5 * ab[0] + c6 * ab[3], c5 * ab[1] + c6 * ab[4], c5 * ab[2] + c6 * ab[5]};
  }
  cv::Mat_<float> map_x(w.mask.size(), -1.0f), map_y(w.mask.size(), -1.0f);
  for (const cv::Point& p : w.pixels) {
    const auto& a = coeff[w.triangle_of(p)];
    const float xi = static_cast<float>(p.x) + w.origin.x;
    const float yi = static_cast<float>(p.y) + w.origin.y;
    map_x(p) = a[0] + a[1] * xi + a[2] * yi;
    map_y(p) = a[3] + a[4] * xi + a[5] * yi;
  }
  cv::remap(crop, warped, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  return true;
}

// Normalises the masked pixels (per image, then per pixel with the model's statistics), runs
// the CNN and turns its arg-max bin into OpenFace's certainty.
double certainty(const cv::Mat_<float>& warped, const view_model& v) {
  const auto n = static_cast<int>(v.paw.pixels.size());
  cv::Mat_<float> vec(n, 1);
  for (int i = 0; i < n; ++i)
    vec(i) = warped(v.paw.pixels[i]);
  cv::Scalar mean, sd;
  cv::meanStdDev(vec, mean, sd);
  // OpenFace subtracts the mean as a float and scales by the float of 1 / sd (OpenCV's
  // convertTo); dividing by sd instead rounds differently on some pixels.
  const auto m = static_cast<float>(mean[0]);
  const auto inv_s = static_cast<float>(1.0 / (sd[0] == 0 ? 1.0 : sd[0]));
  cv::Mat_<float> img(warped.size(), 0.0f);
  for (int i = 0; i < n; ++i)
    img(v.paw.pixels[i]) = ((vec(i) - m) * inv_s - v.mean(i)) / v.stddev(i);

  maps_t maps{img};
  for (const layer& l : v.layers) {
    switch (l.kind) {
      case layer_kind::conv:
        maps = convolve(maps, l);
        break;
      case layer_kind::max_pool:
        maps = max_pool(maps);
        break;
      case layer_kind::dense:
        maps = dense(maps, l);
        break;
      case layer_kind::relu:
        for (auto& map : maps)
          map = cv::max(map, 0.0f);
        break;
      case layer_kind::sigmoid:
        for (auto& map : maps) {
          cv::exp(-map, map);
          map = 1.0f / (1.0f + map);
        }
        break;
    }
  }
  const cv::Mat_<float>& out = maps[0];
  const int bin = static_cast<int>(std::max_element(out.begin(), out.end()) - out.begin());
  // The bins quantise a fit error in [-1, 1]; the certainty is 0.5 (1 - error) of the centre.
  const double step = 2.0 / static_cast<double>(out.total());
  const double error = -1.0 + step / 2.0 + bin * step;
  return static_cast<float>(0.5 * (1.0 - error));
}

}  // namespace

struct detection_validator::impl {
  std::vector<view_model> views;
};

detection_validator::detection_validator(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
detection_validator::~detection_validator() = default;

std::shared_ptr<const detection_validator> detection_validator::load(
    const std::filesystem::path& file) {
  detail::model_file in(file);
  const int type = in.i32("validator type");
  if (type != 3)
    in.fail("validator type " + std::to_string(type) + " is not the CNN validator (3)");
  const int n_views = in.i32("view count");
  if (n_views < 1 || n_views > 100)
    in.fail("bad view count " + std::to_string(n_views));
  auto p = std::make_unique<impl>();
  p->views.resize(n_views);
  for (auto& v : p->views) {
    const cv::Mat_<double> c = in.mat("view centre");
    if (c.total() != 3)
      in.fail("view centre is not 3 angles");
    v.centre = cv::Vec3d(c(0), c(1), c(2)) * (CV_PI / 180.0);
  }
  for (auto& v : p->views) {
    const cv::Vec3d centre = v.centre;
    v = read_view(in);
    v.centre = centre;
  }
  if (!in.at_end())
    in.fail("unexpected data after the last view");
  return std::shared_ptr<const detection_validator>(new detection_validator(std::move(p)));
}

int detection_validator::view_count() const {
  return static_cast<int>(impl_->views.size());
}

int detection_validator::view_for(const cv::Vec3d& rotation) const {
  int best = 0;
  double best_d = 0;
  for (int i = 0; i < view_count(); ++i) {
    const double d = cv::norm(rotation - impl_->views[i].centre);
    if (i == 0 || d < best_d)
      best = i, best_d = d;
  }
  return best;
}

cv::Vec3d detection_validator::view_centre(int view) const {
  return impl_->views.at(view).centre;
}

landmarks_2d detection_validator::reference_shape(int view) const {
  return impl_->views.at(view).paw.reference;
}

cv::Point2d detection_validator::reference_origin(int view) const {
  return impl_->views.at(view).paw.origin;
}

cv::Mat detection_validator::mask(int view) const {
  return impl_->views.at(view).paw.mask.clone();
}

cv::Mat detection_validator::warp(const cv::Mat& image, const landmarks_2d& landmarks,
                                  int view) const {
  const piecewise_warp& w = impl_->views.at(view).paw;
  cv::Mat_<float> warped;
  if (!warp_face(image, landmarks, w, warped))
    return {};
  warped.setTo(0.0f, w.mask == 0);
  return std::move(warped);
}

double detection_validator::check(const cv::Mat& image, const landmarks_2d& landmarks,
                                  const cv::Vec3d& rotation) const {
  const view_model& v = impl_->views[view_for(rotation)];
  cv::Mat_<float> warped;
  if (!warp_face(image, landmarks, v.paw, warped))
    return 0.0;
  return certainty(warped, v);
}

detection_check detection_validator::validate(const cv::Mat& image, const landmarks_2d& landmarks,
                                              const cv::Vec3d& rotation, double threshold) const {
  detection_check r;
  r.certainty = check(image, landmarks, rotation);
  r.success = r.certainty > threshold;
  return r;
}

}  // namespace facemirror

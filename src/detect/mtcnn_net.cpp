// Reader and forward pass for OpenFace's binary CNN files (the MTCNN PNet/RNet/ONet).
//
// File layout (little-endian int32 / float32), worked out from the bytes:
//   int depth; then per layer an int type tag:
//     0 conv:    int in, int out; float bias[out]; then in*out matrices (input-major), each
//                a 3x3 or 2x2 kernel
//     1 maxpool: int kernel_x, kernel_y, stride_x, stride_y (Caffe "ceil" output size)
//     2 FC:      matrix bias (out x 1); matrix weights (in x out)
//     3 PReLU:   matrix slopes (channels x 1)
//   A matrix is int rows, int cols, int cv_type (5 = CV_32F), then rows*cols floats.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "facemirror/detect/mtcnn_detector.h"
#include "facemirror/error.h"

#include "core/blas.h"
#include "core/model_file.h"
#include "core/simd_clones.h"

namespace facemirror {

namespace {

// A float32 matrix with its header (rows, cols, type), as every MTCNN weight but the conv bias.
cv::Mat float_matrix(detail::model_file& r, const char* what) {
  cv::Mat m = r.mat_as_stored(what);
  if (m.type() != CV_32F)
    r.fail(std::string(what) + ": matrix is not float32");
  if (m.empty())
    r.fail(std::string(what) + ": bad matrix size");
  return m;
}

// `n` bare float32 values (a conv layer's bias) as a 1 x n row.
cv::Mat float_row(detail::model_file& r, int n, const char* what) {
  cv::Mat m(1, n, CV_32F);
  for (int k = 0; k < n; ++k)
    m.at<float>(0, k) = r.f32(what);
  return m;
}

struct fmap {  // feature map: one row per pixel (row-major), one column per channel
  int h = 0, w = 0;
  cv::Mat data;
};

// Below this many rows a product sums in double (see multiply_add).
constexpr int blas_min_rows = 100;

// out = in * weights, each output summed over k in order in double and rounded once to float.
// Four rows by eight outputs at a time, so a weight is converted once for four rows and the
// sums stay in registers; the order of the additions is the plain loop's, so every path and
// vector width gives the same bits (a float product is exact in double, fused or not).
FACEMIRROR_SIMD_CLONES void sum_in_double(const cv::Mat& in, const cv::Mat& weights, cv::Mat& out) {
  constexpr int row_block = 4, col_block = 8;
  const int rows = in.rows, inner = in.cols, outputs = weights.cols;
  for (int r0 = 0; r0 < rows; r0 += row_block) {
    const int nr = std::min(row_block, rows - r0);
    const float* a[row_block];
    for (int i = 0; i < row_block; ++i)
      a[i] = in.ptr<float>(r0 + std::min(i, nr - 1));  // a short block repeats its last row
    for (int j0 = 0; j0 < outputs; j0 += col_block) {
      const int nc = std::min(col_block, outputs - j0);
      double acc[row_block][col_block] = {};
      if (nc == col_block) {
        for (int k = 0; k < inner; ++k) {
          const float* w = weights.ptr<float>(k) + j0;
          double wk[col_block];
          for (int t = 0; t < col_block; ++t)
            wk[t] = w[t];
          for (int i = 0; i < row_block; ++i) {
            const double aik = a[i][k];
            for (int t = 0; t < col_block; ++t)
              acc[i][t] += aik * wk[t];
          }
        }
      } else {
        for (int k = 0; k < inner; ++k) {
          const float* w = weights.ptr<float>(k) + j0;
          for (int i = 0; i < row_block; ++i) {
            const double aik = a[i][k];
            for (int t = 0; t < nc; ++t)
              acc[i][t] += aik * static_cast<double>(w[t]);
          }
        }
      }
      for (int i = 0; i < nr; ++i) {
        float* o = out.ptr<float>(r0 + i) + j0;
        for (int t = 0; t < nc; ++t)
          o[t] = static_cast<float>(acc[i][t]);
      }
    }
  }
}

// in * weights + bias, `in` one sample per row. The arithmetic is the one cv::gemm has on
// Debian's OpenCV 4.6, reproduced bit for bit: from 100 rows on it hands the product to BLAS
// (one single-precision sgemm), below that its own kernel sums each output over k in order in
// double (the float products are exact there) and rounds once; the bias is then added in
// float. The fidelity tests were measured with these roundings, and the re-detections and
// first boxes of knife-edge videos (a mirrored half-face that the validator rejects, a track
// that can settle in two fits) follow another fit under another one. cv::gemm itself spent
// most of the nets' time in its small-matrix path and a per-row bias add; the nets run on
// every candidate box of every re-detection.
cv::Mat multiply_add(const cv::Mat& in, const cv::Mat& weights, const cv::Mat& bias) {
  const int rows = in.rows, inner = in.cols, outputs = weights.cols;
  cv::Mat out(rows, outputs, CV_32F);
  if (rows >= blas_min_rows) {
    const float one = 1.0f, zero = 0.0f;
    // Column-major: out^T (outputs x rows) = weights^T * in^T.
    sgemm_("N", "N", &outputs, &rows, &inner, &one, weights.ptr<float>(), &outputs, in.ptr<float>(),
           &inner, &zero, out.ptr<float>(), &outputs);
  } else {
    sum_in_double(in, weights, out);
  }
  const float* b = bias.ptr<float>();
  for (int r = 0; r < rows; ++r) {
    float* o = out.ptr<float>(r);
    for (int j = 0; j < outputs; ++j)
      o[j] += b[j];
  }
  return out;
}

fmap conv(const fmap& x, const mtcnn_net::layer& l) {
  const int oh = x.h - l.kh + 1, ow = x.w - l.kw + 1, c = x.data.cols;
  if (oh <= 0 || ow <= 0)
    return {};
  // im2col: one row per output pixel, its window channel by channel, each row by row.
  cv::Mat cols(oh * ow, c * l.kh * l.kw, CV_32F);
  const float* src = x.data.ptr<float>();
  for (int oy = 0; oy < oh; ++oy) {
    for (int ox = 0; ox < ow; ++ox) {
      float* dst = cols.ptr<float>(oy * ow + ox);
      for (int ci = 0; ci < c; ++ci)
        for (int dy = 0; dy < l.kh; ++dy) {
          const float* pixel = src + (static_cast<size_t>(oy + dy) * x.w + ox) * c + ci;
          for (int dx = 0; dx < l.kw; ++dx)
            *dst++ = pixel[static_cast<size_t>(dx) * c];
        }
    }
  }
  return {oh, ow, multiply_add(cols, l.weights, l.bias)};
}

fmap max_pool(const fmap& x, const mtcnn_net::layer& l) {
  auto out_size = [](int n, int k, int s) {
    int o = int(std::ceil(double(n - k) / s)) + 1;
    if ((o - 1) * s >= n)
      --o;
    return o;
  };
  const int oh = out_size(x.h, l.kh, l.stride_y), ow = out_size(x.w, l.kw, l.stride_x);
  if (oh <= 0 || ow <= 0)  // a window larger than the map by a stride or more: no output
    return {};
  const int c = x.data.cols;
  fmap y{oh, ow, cv::Mat(oh * ow, c, CV_32F, cv::Scalar(-1e30))};
  for (int oy = 0; oy < oh; ++oy)
    for (int ox = 0; ox < ow; ++ox) {
      float* dst = y.data.ptr<float>(oy * ow + ox);
      for (int iy = oy * l.stride_y; iy < std::min(x.h, oy * l.stride_y + l.kh); ++iy)
        for (int ix = ox * l.stride_x; ix < std::min(x.w, ox * l.stride_x + l.kw); ++ix) {
          const float* src = x.data.ptr<float>(iy * x.w + ix);
          for (int ci = 0; ci < c; ++ci)
            dst[ci] = std::max(dst[ci], src[ci]);
        }
    }
  return y;
}

fmap fully_connected(const fmap& x, const mtcnn_net::layer& l) {
  cv::Mat in = x.data;
  fmap y{x.h, x.w, {}};
  if (in.cols != l.weights.rows) {
    // Flatten the whole map, channel by channel, each channel column by column (the nets
    // come from a Caffe model run on transposed images). Validated against ONet's landmarks.
    const int c = in.cols;
    cv::Mat flat(1, x.h * x.w * c, CV_32F);
    float* dst = flat.ptr<float>();
    for (int ci = 0; ci < c; ++ci)
      for (int col = 0; col < x.w; ++col)
        for (int row = 0; row < x.h; ++row)
          *dst++ = in.at<float>(row * x.w + col, ci);
    in = flat;
    y = {1, 1, {}};
  }
  if (in.cols != l.weights.rows)
    throw error(error_code::internal, "mtcnn: FC input size mismatch");
  y.data = multiply_add(in, l.weights, l.bias);
  return y;
}

void prelu(fmap& x, const mtcnn_net::layer& l) {
  const float* a = l.weights.ptr<float>();
  for (int r = 0; r < x.data.rows; ++r) {
    float* p = x.data.ptr<float>(r);
    for (int ci = 0; ci < x.data.cols; ++ci)
      if (p[ci] < 0)
        p[ci] *= a[ci];
  }
}

}  // namespace

mtcnn_net mtcnn_net::load(const std::string& path) {
  detail::model_file r(path);
  const int depth = r.i32("layer count");
  if (depth <= 0 || depth > 64)
    r.fail("bad layer count");
  mtcnn_net net;
  int channels = 3;
  for (int i = 0; i < depth; ++i) {
    layer l;
    l.type = r.i32("layer type");
    if (l.type == 0) {
      l.in = r.i32("conv inputs");
      l.out = r.i32("conv outputs");
      if (l.in != channels || l.out <= 0 || l.out > 4096)
        r.fail("bad conv layer channels");
      l.bias = float_row(r, l.out, "conv bias");
      for (int a = 0; a < l.in * l.out; ++a) {
        const int ci = a / l.out, co = a % l.out;
        const cv::Mat k = float_matrix(r, "conv kernel");
        if (a == 0) {
          l.kh = k.rows;
          l.kw = k.cols;
          l.weights = cv::Mat(l.in * l.kh * l.kw, l.out, CV_32F);
        } else if (k.rows != l.kh || k.cols != l.kw) {
          r.fail("inconsistent conv kernel sizes");
        }
        for (int dy = 0; dy < l.kh; ++dy)
          for (int dx = 0; dx < l.kw; ++dx)
            l.weights.at<float>((ci * l.kh + dy) * l.kw + dx, co) = k.at<float>(dy, dx);
      }
      channels = l.out;
    } else if (l.type == 1) {
      l.kw = r.i32("max-pool kernel");
      l.kh = r.i32("max-pool kernel");
      l.stride_x = r.i32("max-pool stride");
      l.stride_y = r.i32("max-pool stride");
      // (MTCNN pools 2x2 and 3x3; the bound keeps every window position within int.)
      constexpr int largest = 1024;
      if (l.kw <= 0 || l.kh <= 0 || l.stride_x <= 0 || l.stride_y <= 0 || l.kw > largest ||
          l.kh > largest || l.stride_x > largest || l.stride_y > largest)
        r.fail("bad max-pool layer");
    } else if (l.type == 2) {
      l.bias = float_matrix(r, "fully connected bias").reshape(1, 1);
      l.weights = float_matrix(r, "fully connected weights");
      if (l.weights.cols != l.bias.cols)
        r.fail("bad fully connected layer");
      l.in = l.weights.rows;
      l.out = channels = l.weights.cols;
    } else if (l.type == 3) {
      l.weights = float_matrix(r, "PReLU slopes").reshape(1, 1);
      if (l.weights.cols != channels)
        r.fail("bad PReLU layer");
    } else {
      r.fail("unknown layer type " + std::to_string(l.type));
    }
    net.layers.push_back(std::move(l));
  }
  if (!r.at_end())
    r.fail("trailing bytes");
  return net;
}

std::vector<cv::Mat> mtcnn_net::forward(const cv::Mat& input) const {
  if (input.type() != CV_32FC3)
    throw error(error_code::invalid_argument, "mtcnn_net: input must be CV_32FC3");
  fmap x{input.rows, input.cols, input.clone().reshape(1, input.rows * input.cols)};
  for (const layer& l : layers) {
    if (x.data.empty())
      return {};
    if (l.type == 0)
      x = conv(x, l);
    else if (l.type == 1)
      x = max_pool(x, l);
    else if (l.type == 2)
      x = fully_connected(x, l);
    else
      prelu(x, l);
  }
  std::vector<cv::Mat> out;
  for (int ci = 0; ci < x.data.cols; ++ci)
    out.push_back(x.data.col(ci).clone().reshape(1, x.h));
  return out;
}

}  // namespace facemirror

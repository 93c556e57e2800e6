// warp_bgr_linear: OpenCV's bilinear affine warp of 8-bit images, reproduced bit for bit for the
// three-channel full-frame reflections of mirror_faces, where OpenCV's general remap spent about
// 5 ns a pixel (4 ms a 1080x720 frame).
//
// The arithmetic is OpenCV's fixed point (tests/mirror/reflect_test.cpp compares the two):
// source positions as core/warp_positions.h computes them in 1/32 pixel; the four weights of a
// position on that grid are (32 - ay)(32 - ax), (32 - ay) ax, ay (32 - ax), ay ax, which sum to
// 1024; each channel is the weighted sum of the four neighbours, +512, shifted right by 10
// (OpenCV's 15-bit weights are these times 32, with the rounding constant and shift scaled alike).
// Neighbours outside the image are clamped to its edge (BORDER_REPLICATE).
#include "reflect.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "facemirror/error.h"

#include "core/warp_positions.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace facemirror::detail {
namespace {

constexpr int fraction_bits = warp_positions::fraction_bits;
constexpr int fraction_mask = warp_positions::fraction_mask;

// One output pixel, anywhere (edge clamping included).
inline void warp_pixel(const uint8_t* src, size_t step, int w, int h, int fx, int fy,
                       uint8_t* dst) {
  const int sx = warp_positions::pixel(fx), sy = warp_positions::pixel(fy);
  const int ax = fx & fraction_mask, ay = fy & fraction_mask;
  const int w00 = (32 - ay) * (32 - ax), w01 = (32 - ay) * ax;
  const int w10 = ay * (32 - ax), w11 = ay * ax;
  const int cx0 = std::clamp(sx, 0, w - 1), cx1 = std::clamp(sx + 1, 0, w - 1);
  const int cy0 = std::clamp(sy, 0, h - 1), cy1 = std::clamp(sy + 1, 0, h - 1);
  const uint8_t* p00 = src + cy0 * step + cx0 * 3;
  const uint8_t* p01 = src + cy0 * step + cx1 * 3;
  const uint8_t* p10 = src + cy1 * step + cx0 * 3;
  const uint8_t* p11 = src + cy1 * step + cx1 * 3;
  for (int c = 0; c < 3; ++c) {
    const int v = p00[c] * w00 + p01[c] * w01 + p10[c] * w10 + p11[c] * w11;
    dst[c] = static_cast<uint8_t>((v + 512) >> 10);
  }
}

#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
#define FACEMIRROR_REFLECT_AVX2 1

// Eight output pixels whose four neighbours all lie inside the image with a spare byte to their
// right (0 <= sx <= w - 3, 0 <= sy <= h - 2), so each neighbour is one 4-byte gather; false
// (nothing written) when any does not. The same integer arithmetic as warp_pixel, lane by lane.
__attribute__((target("avx2"))) bool warp_eight(const uint8_t* src, size_t step, int w, int h,
                                                __m256i fx, __m256i fy, uint8_t* dst) {
  const __m256i sx = _mm256_srai_epi32(fx, fraction_bits);
  const __m256i sy = _mm256_srai_epi32(fy, fraction_bits);
  const __m256i inside =
      _mm256_and_si256(_mm256_and_si256(_mm256_cmpgt_epi32(sx, _mm256_set1_epi32(-1)),
                                        _mm256_cmpgt_epi32(_mm256_set1_epi32(w - 2), sx)),
                       _mm256_and_si256(_mm256_cmpgt_epi32(sy, _mm256_set1_epi32(-1)),
                                        _mm256_cmpgt_epi32(_mm256_set1_epi32(h - 1), sy)));
  if (_mm256_movemask_epi8(inside) != -1)
    return false;
  const __m256i mask = _mm256_set1_epi32(fraction_mask);
  const __m256i ax = _mm256_and_si256(fx, mask), ay = _mm256_and_si256(fy, mask);
  const __m256i full = _mm256_set1_epi32(32);
  const __m256i bx = _mm256_sub_epi32(full, ax), by = _mm256_sub_epi32(full, ay);
  const __m256i w00 = _mm256_mullo_epi32(by, bx), w01 = _mm256_mullo_epi32(by, ax);
  const __m256i w10 = _mm256_mullo_epi32(ay, bx), w11 = _mm256_mullo_epi32(ay, ax);
  const __m256i offset =
      _mm256_add_epi32(_mm256_mullo_epi32(sy, _mm256_set1_epi32(static_cast<int>(step))),
                       _mm256_mullo_epi32(sx, _mm256_set1_epi32(3)));
  const auto* base = reinterpret_cast<const int*>(src);
  const __m256i g00 = _mm256_i32gather_epi32(base, offset, 1);
  const __m256i g01 =
      _mm256_i32gather_epi32(base, _mm256_add_epi32(offset, _mm256_set1_epi32(3)), 1);
  const __m256i below = _mm256_add_epi32(offset, _mm256_set1_epi32(static_cast<int>(step)));
  const __m256i g10 = _mm256_i32gather_epi32(base, below, 1);
  const __m256i g11 =
      _mm256_i32gather_epi32(base, _mm256_add_epi32(below, _mm256_set1_epi32(3)), 1);
  const __m256i byte = _mm256_set1_epi32(0xff);
  const __m256i half = _mm256_set1_epi32(512);
  __m256i packed = _mm256_setzero_si256();
  for (int c = 0; c < 3; ++c) {
    const __m256i v00 = _mm256_and_si256(_mm256_srli_epi32(g00, 8 * c), byte);
    const __m256i v01 = _mm256_and_si256(_mm256_srli_epi32(g01, 8 * c), byte);
    const __m256i v10 = _mm256_and_si256(_mm256_srli_epi32(g10, 8 * c), byte);
    const __m256i v11 = _mm256_and_si256(_mm256_srli_epi32(g11, 8 * c), byte);
    __m256i v = _mm256_add_epi32(_mm256_mullo_epi32(v00, w00), _mm256_mullo_epi32(v01, w01));
    v = _mm256_add_epi32(v, _mm256_mullo_epi32(v10, w10));
    v = _mm256_add_epi32(v, _mm256_mullo_epi32(v11, w11));
    v = _mm256_srli_epi32(_mm256_add_epi32(v, half), 10);
    packed = _mm256_or_si256(packed, _mm256_slli_epi32(v, 8 * c));
  }
  // Lanes hold B, G, R, 0: drop every fourth byte within each 128-bit half, then store 24 bytes.
  const __m256i squeeze = _mm256_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1,
                                           0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
  alignas(32) uint8_t bytes[32];
  _mm256_store_si256(reinterpret_cast<__m256i*>(bytes), _mm256_shuffle_epi8(packed, squeeze));
  std::memcpy(dst, bytes, 12);
  std::memcpy(dst + 12, bytes + 16, 12);
  return true;
}

// One row, eight pixels at a time; a group touching the border goes through warp_pixel.
// Returns the first pixel left over (the last w % 8).
__attribute__((target("avx2"))) int warp_row_avx2(const uint8_t* src, size_t step, int w, int h,
                                                  int x0, int y0, int shift, const int* dx,
                                                  const int* dy, uint8_t* row) {
  const __m256i vx0 = _mm256_set1_epi32(x0), vy0 = _mm256_set1_epi32(y0);
  const __m128i count = _mm_cvtsi32_si128(shift);
  int x = 0;
  for (; x + 8 <= w; x += 8) {
    const __m256i ddx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dx + x));
    const __m256i ddy = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dy + x));
    const __m256i fx = _mm256_sra_epi32(_mm256_add_epi32(vx0, ddx), count);
    const __m256i fy = _mm256_sra_epi32(_mm256_add_epi32(vy0, ddy), count);
    if (warp_eight(src, step, w, h, fx, fy, row + 3 * x))
      continue;
    for (int k = x; k < x + 8; ++k)
      warp_pixel(src, step, w, h, (x0 + dx[k]) >> shift, (y0 + dy[k]) >> shift, row + 3 * k);
  }
  return x;
}
#endif

}  // namespace

void warp_bgr_linear(const cv::Mat& bgr, const cv::Matx23d& to_src, cv::Mat& out) {
  FACEMIRROR_CHECK(bgr.type() == CV_8UC3 && !bgr.empty(),
                   "warp_bgr_linear needs an 8-bit BGR image");
  out.create(bgr.size(), CV_8UC3);
  const int w = bgr.cols, h = bgr.rows;
  const warp_positions at(to_src, w);
  constexpr int shift = warp_positions::shift;
#ifdef FACEMIRROR_REFLECT_AVX2
  static const bool avx2 = __builtin_cpu_supports("avx2");
#endif
  const size_t step = bgr.step;
  const uint8_t* src = bgr.data;
  for (int y = 0; y < h; ++y) {
    const int x0 = at.origin_x(y), y0 = at.origin_y(y);
    uint8_t* row = out.ptr<uint8_t>(y);
    int x = 0;
#ifdef FACEMIRROR_REFLECT_AVX2
    if (avx2)
      x = warp_row_avx2(src, step, w, h, x0, y0, shift, at.dx(), at.dy(), row);
#endif
    for (; x < w; ++x)
      warp_pixel(src, step, w, h, (x0 + at.dx()[x]) >> shift, (y0 + at.dy()[x]) >> shift,
                 row + 3 * x);
  }
}

}  // namespace facemirror::detail

// Triangulation loading and the triangle coverage mask.
#include <algorithm>
#include <cmath>

#include "facemirror/align/face_aligner.h"

#include "core/text_matrix.h"

namespace facemirror {
namespace {

// OpenFace's test: p and q lie on the same side of the line a->b, or on it.
bool same_side(float px, float py, float qx, float qy, float ax, float ay, float bx, float by) {
  const float s_p = (bx - ax) * (py - ay) - (px - ax) * (by - ay);
  const float s_q = (bx - ax) * (qy - ay) - (qx - ax) * (by - ay);
  return s_p * s_q >= 0.0f;
}

bool in_triangle(float x, float y, const cv::Point2f& a, const cv::Point2f& b,
                 const cv::Point2f& c) {
  return same_side(x, y, a.x, a.y, b.x, b.y, c.x, c.y) &&
         same_side(x, y, b.x, b.y, a.x, a.y, c.x, c.y) &&
         same_side(x, y, c.x, c.y, a.x, a.y, b.x, b.y);
}

}  // namespace

triangulation triangulation::load(const std::filesystem::path& file, int point_count) {
  detail::text_matrix_reader reader(file, "triangulation");
  const cv::Mat_<double> indices = reader.next("triangles", {CV_32S});
  if (indices.cols != 3)
    reader.fail("expected an n x 3 index matrix");
  std::vector<std::array<int, 3>> tris(static_cast<size_t>(indices.rows));
  for (int r = 0; r < indices.rows; ++r) {
    for (int c = 0; c < 3; ++c) {
      const double index = indices(r, c);
      if (index != std::floor(index) || index < 0 || index >= point_count)
        reader.fail("vertex index out of range");
      tris[static_cast<size_t>(r)][static_cast<size_t>(c)] = static_cast<int>(index);
    }
  }
  return triangulation(std::move(tris));
}

cv::Mat_<uchar> triangle_mask(const std::vector<cv::Point2f>& points, const triangulation& tris,
                              cv::Size size) {
  cv::Mat_<uchar> mask(size, uchar{0});
  for (const auto& t : tris.triangles()) {
    const cv::Point2f& a = points.at(t[0]);
    const cv::Point2f& b = points.at(t[1]);
    const cv::Point2f& c = points.at(t[2]);
    // OpenFace skips a triangle when the pixel is outside its bounding box; only integer
    // positions inside that box can pass, so scan exactly those.
    const float min_x = std::min({a.x, b.x, c.x}), max_x = std::max({a.x, b.x, c.x});
    const float min_y = std::min({a.y, b.y, c.y}), max_y = std::max({a.y, b.y, c.y});
    if (!(std::isfinite(min_x) && std::isfinite(max_x) && std::isfinite(min_y) &&
          std::isfinite(max_y)))
      continue;
    // Clamped before the conversion: a float beyond int's range does not convert.
    const auto clamped = [](float v, int extent) {
      return static_cast<int>(std::clamp(v, -1.f, static_cast<float>(extent)));
    };
    const int x0 = std::max(0, clamped(std::ceil(min_x), size.width));
    const int x1 = std::min(size.width - 1, clamped(std::floor(max_x), size.width));
    const int y0 = std::max(0, clamped(std::ceil(min_y), size.height));
    const int y1 = std::min(size.height - 1, clamped(std::floor(max_y), size.height));
    for (int y = y0; y <= y1; ++y) {
      uchar* row = mask[y];
      for (int x = x0; x <= x1; ++x) {
        if (row[x] == 0 && in_triangle(static_cast<float>(x), static_cast<float>(y), a, b, c))
          row[x] = 1;
      }
    }
  }
  return mask;
}

}  // namespace facemirror

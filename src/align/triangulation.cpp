// Triangulation loading and the triangle coverage mask.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "facemirror/align/face_aligner.h"
#include "facemirror/error.h"

namespace facemirror {
namespace {

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& reason) {
  throw error(error_code::model_format, file.string() + ": " + reason);
}

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
  std::ifstream in(file);
  if (!in)
    fail(file, "cannot open triangulation file");
  std::string body;
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos && line[first] == '#')
      continue;
    body += line + '\n';
  }
  std::istringstream tokens(body);
  long rows = 0, cols = 0, type = 0;
  if (!(tokens >> rows >> cols >> type))
    fail(file, "missing matrix header");
  if (rows < 1 || rows > 100000 || cols != 3)
    fail(file, "expected an n x 3 index matrix");
  std::vector<std::array<int, 3>> tris(static_cast<size_t>(rows));
  for (auto& t : tris) {
    for (int& v : t) {
      long idx = -1;
      if (!(tokens >> idx))
        fail(file, "truncated triangle list");
      if (idx < 0 || idx >= point_count)
        fail(file, "vertex index out of range");
      v = static_cast<int>(idx);
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
    const int x0 = std::max(0, static_cast<int>(std::ceil(min_x)));
    const int x1 = std::min(size.width - 1, static_cast<int>(std::floor(max_x)));
    const int y0 = std::max(0, static_cast<int>(std::ceil(min_y)));
    const int y1 = std::min(size.height - 1, static_cast<int>(std::floor(max_y)));
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

#include "facemirror/landmarks/shape_alignment.h"

#include <cmath>

#include "facemirror/error.h"

namespace facemirror {

// In 2-D the Kabsch rotation has a closed form: its angle is atan2 of the summed cross and dot
// products of the centred point pairs, and a rotation by construction never reflects.
cv::Matx22d align_shapes_with_scale(const std::vector<cv::Point2d>& src,
                                    const std::vector<cv::Point2d>& dst) {
  FACEMIRROR_CHECK(src.size() == dst.size() && !src.empty(), "align_shapes_with_scale: sizes");
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

}  // namespace facemirror

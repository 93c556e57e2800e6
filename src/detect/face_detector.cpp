#include "facemirror/detect/face_detector.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>
#include <opencv2/imgproc.hpp>

#include "facemirror/error.h"

#include "detail/dlib_bridge.h"

namespace facemirror {
namespace detail {
extern const unsigned char frontal_detector_bytes[];  // the generated frontal_detector_bytes.cpp
extern const std::size_t frontal_detector_size;
}  // namespace detail

namespace {

// dlib's frontal detector, unpacked at build time (generate/embed_frontal_detector.cpp): dlib's
// own get_frontal_face_detector() unpacks a compressed model, 0.8 s or more of CPU per process;
// reading the unpacked bytes takes ~0.02 s. Read once per process and copied (cheap) into each
// detector; the prototype is never modified.
const dlib::frontal_face_detector& prototype_detector() {
  static const dlib::frontal_face_detector prototype = [] {
    std::istringstream in(std::string(reinterpret_cast<const char*>(detail::frontal_detector_bytes),
                                      detail::frontal_detector_size));
    dlib::frontal_face_detector detector;
    dlib::deserialize(detector, in);
    return detector;
  }();
  return prototype;
}

}  // namespace

struct face_detector::impl {
  face_detector_options options;
  dlib::frontal_face_detector detector = prototype_detector();
  std::vector<dlib::rect_detection> scratch;  // reused between calls to avoid reallocations
};

face_detector::face_detector(face_detector_options options) : impl_(std::make_unique<impl>()) {
  if (options.upsample < 0 || options.upsample > 3 || options.max_side_px < 0) {
    throw error(error_code::invalid_argument,
                "face_detector: upsample must be in [0, 3] and max_side_px >= 0");
  }
  impl_->options = options;
}

face_detector::~face_detector() = default;
face_detector::face_detector(const face_detector& other)
    : impl_(std::make_unique<impl>(*other.impl_)) {}
face_detector::face_detector(face_detector&&) noexcept = default;

const face_detector_options& face_detector::options() const {
  return impl_->options;
}

std::vector<face_detection> face_detector::detect(const cv::Mat& bgr, const cv::Rect& roi) {
  const cv::Rect region = (roi.area() > 0 ? roi : cv::Rect(0, 0, bgr.cols, bgr.rows)) &
                          cv::Rect(0, 0, bgr.cols, bgr.rows);
  if (region.area() <= 0)
    return {};
  const int long_side = std::max(region.width, region.height);
  const int max_side = impl_->options.max_side_px;
  double scale = (max_side > 0 && long_side > max_side) ? double(max_side) / long_side : 1.0;
  scale *= std::ldexp(1.0, impl_->options.upsample);
  return detect_scaled(bgr, region, scale);
}

std::vector<face_detection> face_detector::detect_scaled(const cv::Mat& bgr, const cv::Rect& roi,
                                                         double scale) {
  if (!(scale > 0.0))
    throw error(error_code::invalid_argument, "face_detector: scale must be > 0");
  if (bgr.empty())
    return {};
  detail::check_frame(bgr, "face_detector");
  const cv::Rect region = (roi.area() > 0 ? roi : cv::Rect(0, 0, bgr.cols, bgr.rows)) &
                          cv::Rect(0, 0, bgr.cols, bgr.rows);
  if (region.area() <= 0)
    return {};

  cv::Mat grey = detail::to_grey(bgr, region);
  const cv::Size size(std::max(1, cvRound(region.width * scale)),
                      std::max(1, cvRound(region.height * scale)));
  if (size != grey.size()) {
    cv::Mat resized;
    // INTER_AREA when shrinking averages out aliasing that would otherwise alter HOG features.
    cv::resize(grey, resized, size, 0, 0,
               size.width < grey.cols ? cv::INTER_AREA : cv::INTER_LINEAR);
    grey = resized;
  }
  // Per-axis factors after rounding, so boxes map back exactly onto the region.
  const double sx = double(grey.cols) / region.width;
  const double sy = double(grey.rows) / region.height;

  const dlib::cv_image<unsigned char> image(grey);
  impl_->detector(image, impl_->scratch, impl_->options.score_threshold);

  std::vector<face_detection> faces;
  faces.reserve(impl_->scratch.size());
  for (const auto& d : impl_->scratch) {
    const cv::Rect2d r = detail::from_dlib(d.rect);
    faces.push_back(
        {cv::Rect2d(region.x + r.x / sx, region.y + r.y / sy, r.width / sx, r.height / sy),
         d.detection_confidence});
  }
  // dlib sorts only when several filters fire; make "strongest first" a guarantee.
  std::stable_sort(
      faces.begin(), faces.end(),
      [](const face_detection& a, const face_detection& b) { return a.score > b.score; });
  return faces;
}

}  // namespace facemirror

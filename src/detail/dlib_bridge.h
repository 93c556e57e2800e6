#pragma once
// Internal: viewing cv::Mat pixels as dlib images and converting boxes. dlib stays out of the
// public headers; only src/ files include this. Header-only so that any module linking dlib
// can use it without a link dependency.

#include <string>

#include <dlib/geometry/rectangle.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "facemirror/error.h"

namespace facemirror::detail {

/// Throws error(invalid_argument) unless `frame` is 8-bit with 1, 3 or 4 channels.
inline void check_frame(const cv::Mat& frame, const char* who) {
  const int channels = frame.channels();
  if (frame.depth() != CV_8U || (channels != 1 && channels != 3 && channels != 4)) {
    throw error(error_code::invalid_argument,
                std::string(who) + ": expected an 8-bit grey, BGR or BGRA image, got type " +
                    std::to_string(frame.type()));
  }
}

/// Grey 8-bit version of a region of a BGR, BGRA or grey frame (a view when already grey).
inline cv::Mat to_grey(const cv::Mat& frame, const cv::Rect& region) {
  const cv::Mat part = frame(region);
  if (part.channels() == 1)
    return part;
  cv::Mat grey;
  cv::cvtColor(part, grey, part.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
  return grey;
}

/// dlib's inclusive integer rectangle for a box whose edges are at x and x + width.
inline dlib::rectangle to_dlib(const cv::Rect2d& box) {
  const long left = cvRound(box.x);
  const long top = cvRound(box.y);
  return {left, top, cvRound(box.x + box.width) - 1, cvRound(box.y + box.height) - 1};
}

/// The inverse of to_dlib(): edges of an inclusive dlib rectangle.
inline cv::Rect2d from_dlib(const dlib::rectangle& r) {
  return {static_cast<double>(r.left()), static_cast<double>(r.top()),
          static_cast<double>(r.width()), static_cast<double>(r.height())};
}

}  // namespace facemirror::detail

#pragma once
// Face detection on a whole frame or a region of it.
//
// WHAT THIS REPRESENTS
//   dlib's HOG + linear SVM frontal face detector, wrapped to take cv::Mat frames.
//
// THREAD SAFETY
//   Not thread-safe (dlib's detector keeps scratch state): one per worker. Copying is cheap
//   relative to a video; copies are independent.

#include <memory>
#include <vector>

#include "facemirror/types.h"

namespace facemirror {

struct face_detection {
  cv::Rect2d box;      // in the coordinates of the frame passed to detect()
  double score = 0.0;  // detector margin; higher is more confident
};

struct face_detector_options {
  double score_threshold = 0.0;  // detections below it are dropped
  int upsample = 0;              // pyramid up-sampling steps (finds smaller faces, slower)
  /// Frames are shrunk so that their longer side is at most this many pixels before detection
  /// (0: never). Detection cost grows with area; faces in our videos are large.
  int max_side_px = 640;
};

class face_detector {
 public:
  explicit face_detector(face_detector_options options = {});
  ~face_detector();
  face_detector(const face_detector&);
  face_detector& operator=(const face_detector&) = delete;
  face_detector(face_detector&&) noexcept;
  face_detector& operator=(face_detector&&) = delete;

  /// Faces in `bgr` (optionally only inside `roi`), strongest first.
  [[nodiscard]] std::vector<face_detection> detect(const cv::Mat& bgr,
                                                   const cv::Rect& roi = cv::Rect()) ;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace facemirror

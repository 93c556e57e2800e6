#pragma once
// Face detection on a whole frame or a region of it.
//
// WHAT THIS REPRESENTS
//   dlib's HOG + linear SVM frontal face detector (five pose-specific filters), wrapped to take
//   8-bit BGR or grey cv::Mat frames. Detection runs on a grey, optionally shrunk copy of the
//   frame (or of a region of it); boxes are mapped back to the coordinates of the frame.
//   Boxes follow dlib's convention (roughly square, brow to chin), which is what the dlib
//   landmark model was trained on.
//
// THREAD SAFETY
//   Not thread-safe (dlib's detector keeps scratch state): one per worker. Copies are
//   independent. Output depends only on the input pixels and the options (deterministic).

#include <memory>
#include <vector>

#include "facemirror/types.h"

namespace facemirror {

struct face_detection {
  cv::Rect2d box;      // in the coordinates of the frame passed to detect()
  double score = 0.0;  // SVM margin above dlib's own threshold; higher is more confident
};

struct face_detector_options {
  /// Detections scoring below it are dropped. dlib's own operating point is 0; negative values
  /// find more (and more false) faces, which is useful when a face is expected in a region.
  double score_threshold = 0.0;
  int upsample = 0;  // doublings of the image before detection (finds smaller faces, slower)
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

  [[nodiscard]] const face_detector_options& options() const;

  /// Faces in `bgr` (optionally only inside `roi`, clipped to the frame), strongest first.
  /// The searched image (frame or roi) is shrunk per options().max_side_px and enlarged per
  /// options().upsample. An empty frame or an roi outside the frame gives no faces.
  [[nodiscard]] std::vector<face_detection> detect(const cv::Mat& bgr,
                                                   const cv::Rect& roi = cv::Rect());

  /// As detect(), but the searched region is resized by exactly `scale` (> 0) instead of per
  /// the options; upsample and max_side_px are ignored. The detector's window is 80 px, so a
  /// face of side s is found when s * scale is at least ~80: trackers that know the face size
  /// pick the scale that makes the face ~100 px, which makes a region check cost a few ms.
  [[nodiscard]] std::vector<face_detection> detect_scaled(const cv::Mat& bgr, const cv::Rect& roi,
                                                          double scale);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace facemirror

#pragma once
// 68-point landmark tracking through a video: detect, fit, follow, re-detect on loss.
//
// WHAT THIS REPRESENTS
//   landmark_model: the read-only 68-point shape predictor (dlib's regression-tree model from
//   Debian's libdlib-data), loaded once per run.
//   face_tracker: the per-video, per-worker state (detector, previous face) that turns a
//   sequence of frames into a landmark observation per frame.
//
// THREAD SAFETY
//   landmark_model is immutable after construction: share it (std::shared_ptr<const>).
//   face_tracker is stateful: one per worker, fed frames of one video in order.

#include <filesystem>
#include <memory>

#include "facemirror/detect/face_detector.h"
#include "facemirror/types.h"

namespace facemirror {

class landmark_model {
 public:
  /// Loads a dlib shape_predictor file. Throws facemirror::error(model_format) naming the file.
  explicit landmark_model(const std::filesystem::path& file);
  ~landmark_model();
  landmark_model(const landmark_model&) = delete;
  landmark_model& operator=(const landmark_model&) = delete;

  /// Landmarks for a face inside `face_box` (detector-style box, frame coordinates).
  [[nodiscard]] landmarks_2d predict(const cv::Mat& bgr, const cv::Rect2d& face_box) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

struct face_tracker_options {
  face_detector_options detector;
  /// Detection score needed to accept a face (on re-detection and on the tracking check).
  double min_score = 0.0;
};

struct face_observation {
  bool success = false;     // a face was found and fitted in this frame
  double confidence = 0.0;  // in [0, 1]; OpenFace-style, higher is better
  landmarks_2d landmarks{}; // last known landmarks when success is false (as OpenFace writes)
};

class face_tracker {
 public:
  face_tracker(std::shared_ptr<const landmark_model> model, face_tracker_options options = {});

  /// Processes the next frame of the current video.
  [[nodiscard]] face_observation track(const cv::Mat& bgr);

  /// Forgets the previous face: the next frame is detected from scratch (new video/segment).
  void reset();

 private:
  std::shared_ptr<const landmark_model> model_;
  face_tracker_options options_;
  face_detector detector_;
  bool has_previous_ = false;
  landmarks_2d previous_{};
};

}  // namespace facemirror

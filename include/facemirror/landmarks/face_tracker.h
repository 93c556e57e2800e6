#pragma once
// 68-point landmark tracking through a video: detect, fit, follow, re-detect on loss.
//
// WHAT THIS REPRESENTS
//   landmark_model: the read-only 68-point shape predictor (dlib's regression-tree model from
//   Debian's libdlib-data), loaded once per run.
//   face_tracker: the per-video, per-worker state (detector, previous face) that turns a
//   sequence of frames into a landmark observation per frame.
//
// HOW TRACKING WORKS
//   No face yet: detect on the whole frame and take the largest face (OpenFace's
//   FeatureExtraction also follows the largest face). Face known: detect again only in a
//   region around the previous face box, resized so that the face is ~roi_face_px wide (3-4 ms
//   instead of ~26 ms on a 640x480 frame), and fit the landmarks in the fresh box. The
//   shape predictor was trained on detector boxes, and fresh boxes measured better against
//   OpenFace than boxes built from the previous landmarks. When the region check fails, the
//   whole frame is searched, but for max_lost_frames frames only faces near the lost one are
//   taken, so a face that turns away briefly is not swapped for a bystander.
//
// THREAD SAFETY
//   landmark_model is immutable after construction: share it (std::shared_ptr<const>).
//   face_tracker is stateful: one per worker, fed frames of one video in order. Its output
//   depends only on the frames it was fed since construction or reset() (no global state).

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

  /// Landmarks for a face inside `face_box` (detector-style box, frame coordinates), sub-pixel,
  /// in OpenFace's pixel convention (dlib's positions moved by -0.5 px; see the .cpp).
  /// `bgr` is 8-bit BGR, BGRA or grey.
  [[nodiscard]] landmarks_2d predict(const cv::Mat& bgr, const cv::Rect2d& face_box) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

struct face_tracker_options {
  /// Full-frame detection settings; score_threshold is ignored (see the two scores below).
  face_detector_options detector;
  /// Detection score needed to start following a face found on the whole frame.
  double acquire_score = -0.5;
  /// Detection score needed to keep following a face in the region around its last box. Lower
  /// than acquire_score: the region and the overlap test already make a false face unlikely.
  double track_score = -1.0;
  /// Region searched while tracking: this many previous face-box sides, same centre.
  double roi_scale = 2.0;
  /// The region is resized so that the previous face box is this wide (detector window: 80).
  double roi_face_px = 100.0;
  /// Intersection over union a region detection needs with the previous box to count.
  double min_overlap = 0.3;
  /// After a loss, frames during which only faces near the lost one are taken.
  int max_lost_frames = 30;
};

struct face_observation {
  bool success = false;  // a face was found and fitted in this frame
  /// In [0, 1]: 1 / (1 + exp(-2 * (score + 0.5))) of the detection score (0.5 at -0.5, 0.98
  /// at 1.5, typical of a clear face while tracking); 0 when success is false.
  double confidence = 0.0;
  cv::Rect2d face_box;       // detector box the landmarks were fitted in (last known if lost)
  landmarks_2d landmarks{};  // last known landmarks when success is false (as OpenFace writes)
  /// The face was (re)acquired by a whole-frame search on this frame rather than followed from
  /// the previous one: a landmark fitter that tracks on its own must start again.
  bool acquired = false;
  /// The landmarks were fitted on this frame (false when track() was told to skip them).
  bool fitted = false;
};

/// Which frames the shape predictor runs on: every frame with a face, or only on frames where
/// the face was (re)acquired, for callers whose own fitter (CLNF) follows the face from frame
/// to frame and needs the tracker only to say whether and where the face still is.
enum class landmark_fitting { every_frame, on_acquisition };

class face_tracker {
 public:
  face_tracker(std::shared_ptr<const landmark_model> model, face_tracker_options options = {});

  /// Processes the next frame of the current video (8-bit BGR, BGRA or grey).
  [[nodiscard]] face_observation track(const cv::Mat& bgr,
                                       landmark_fitting fitting = landmark_fitting::every_frame);

  /// Fits the landmarks in the face box of the last successful track() on the same frame `bgr`
  /// (for a caller that skipped them and then needs them after all).
  [[nodiscard]] landmarks_2d fit_landmarks(const cv::Mat& bgr);

  /// The face was last seen in `face_box` (by another fitter) and is lost: the next track()
  /// searches the whole frame but, for max_lost_frames frames, takes only faces near it.
  void lost_near(const cv::Rect2d& face_box);

  /// Forgets the previous face: the next frame is detected from scratch (new video/segment).
  void reset();

  /// What track() carries from one frame to the next. restore() of another tracker's state
  /// (same model and options) makes it continue exactly as that tracker would.
  struct state {
    bool tracking = false;
    bool has_previous = false;
    int lost_frames = 0;
    cv::Rect2d box;
    landmarks_2d previous{};
  };
  [[nodiscard]] state save() const {
    return {tracking_, has_previous_, lost_frames_, box_, previous_};
  }
  void restore(const state& s) {
    tracking_ = s.tracking;
    has_previous_ = s.has_previous;
    lost_frames_ = s.lost_frames;
    box_ = s.box;
    previous_ = s.previous;
  }

 private:
  /// Region check around box_; true and sets box/score when the face is still there.
  bool follow(const cv::Mat& bgr, cv::Rect2d& box, double& score);
  /// Whole-frame search; true and sets box/score when an acceptable face is found.
  bool acquire(const cv::Mat& bgr, cv::Rect2d& box, double& score);

  std::shared_ptr<const landmark_model> model_;
  face_tracker_options options_;
  face_detector detector_;
  bool tracking_ = false;      // box_ holds the face found in the previous frame
  bool has_previous_ = false;  // previous_ and box_ hold the last face found (maybe frames ago)
  int lost_frames_ = 0;        // frames since the last success, while has_previous_
  cv::Rect2d box_;
  landmarks_2d previous_{};
};

}  // namespace facemirror

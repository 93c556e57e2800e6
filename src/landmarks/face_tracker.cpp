#include "facemirror/landmarks/face_tracker.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "facemirror/error.h"

namespace facemirror {
namespace {

double overlap(const cv::Rect2d& a, const cv::Rect2d& b) {
  const double inter = (a & b).area();
  const double uni = a.area() + b.area() - inter;
  return uni > 0.0 ? inter / uni : 0.0;
}

cv::Point2d centre(const cv::Rect2d& r) {
  return {r.x + r.width / 2, r.y + r.height / 2};
}

// Logistic in the detector margin: dlib's margins on real faces run from about -1 (weak,
// turned or blurred) to 3, so 0.5 sits at the acquisition default and clear faces read ~0.98.
double confidence_of(double score) {
  return 1.0 / (1.0 + std::exp(-2.0 * (score + 0.5)));
}

face_detector make_detector(const face_tracker_options& options) {
  face_detector_options d = options.detector;
  // The detector reports everything either rule could accept; the tracker filters per rule.
  d.score_threshold = std::min(options.acquire_score, options.track_score);
  return face_detector(d);
}

}  // namespace

face_tracker::face_tracker(std::shared_ptr<const landmark_model> model,
                           face_tracker_options options)
    : model_(std::move(model)), options_(options), detector_(make_detector(options)) {
  if (!model_)
    throw error(error_code::invalid_argument, "face_tracker: no landmark model");
  if (!(options_.roi_scale >= 1.0) || !(options_.roi_face_px >= 80.0) ||
      options_.max_lost_frames < 0) {
    throw error(error_code::invalid_argument,
                "face_tracker: roi_scale must be >= 1, roi_face_px >= 80, max_lost_frames >= 0");
  }
  // A NaN score would compare false with every detection: no face, and no word why.
  if (!std::isfinite(options_.acquire_score) || !std::isfinite(options_.track_score) ||
      !(options_.min_overlap >= 0.0 && options_.min_overlap <= 1.0)) {
    throw error(error_code::invalid_argument,
                "face_tracker: acquire_score and track_score must be finite numbers, "
                "min_overlap within [0, 1]");
  }
}

void face_tracker::reset() {
  tracking_ = false;
  has_previous_ = false;
  lost_frames_ = 0;
  box_ = cv::Rect2d();
  previous_ = landmarks_2d{};
}

bool face_tracker::follow(const cv::Mat& bgr, cv::Rect2d& box, double& score) {
  const cv::Point2d c = centre(box_);
  const double side = box_.width * options_.roi_scale;
  const cv::Rect roi(cvRound(c.x - side / 2), cvRound(c.y - side / 2), cvRound(side),
                     cvRound(side));
  const auto faces = detector_.detect_scaled(bgr, roi, options_.roi_face_px / box_.width);
  // Strongest first, so the first face that overlaps the previous box is the best one.
  for (const auto& f : faces) {
    if (f.score < options_.track_score)
      break;
    if (overlap(f.box, box_) >= options_.min_overlap) {
      box = f.box;
      score = f.score;
      return true;
    }
  }
  return false;
}

bool face_tracker::acquire(const cv::Mat& bgr, cv::Rect2d& box, double& score) {
  const auto faces = detector_.detect(bgr);
  const bool near_only = has_previous_ && lost_frames_ < options_.max_lost_frames;
  const face_detection* best = nullptr;
  for (const auto& f : faces) {
    if (f.score < options_.acquire_score)
      continue;
    if (near_only) {
      // Near: centre within one previous box side of the lost face's centre.
      if (cv::norm(centre(f.box) - centre(box_)) > box_.width)
        continue;
      if (best == nullptr)
        best = &f;  // strongest first
      continue;
    }
    // Largest face; equal sizes (the detector's sizes are quantised) go to the stronger.
    if (best == nullptr || f.box.area() > best->box.area() * 1.0001)
      best = &f;
  }
  if (best == nullptr)
    return false;
  box = best->box;
  score = best->score;
  return true;
}

void face_tracker::lost_near(const cv::Rect2d& face_box) {
  tracking_ = false;
  has_previous_ = true;
  lost_frames_ = 0;
  box_ = face_box;
}

landmarks_2d face_tracker::fit_landmarks(const cv::Mat& bgr) {
  FACEMIRROR_CHECK(tracking_, "face_tracker::fit_landmarks needs a face found in this frame");
  previous_ = model_->predict(bgr, box_);
  return previous_;
}

face_observation face_tracker::track(const cv::Mat& bgr, landmark_fitting fitting) {
  cv::Rect2d box;
  double score = 0.0;
  const bool followed = tracking_ && follow(bgr, box, score);
  const bool found = followed || acquire(bgr, box, score);
  face_observation out;
  if (!found) {
    tracking_ = false;
    if (has_previous_)
      ++lost_frames_;
    out.face_box = box_;
    out.landmarks = previous_;
    return out;
  }
  out.acquired = !followed;
  out.fitted = out.acquired || fitting == landmark_fitting::every_frame;
  if (out.fitted)
    previous_ = model_->predict(bgr, box);
  box_ = box;
  tracking_ = true;
  has_previous_ = true;
  lost_frames_ = 0;
  out.success = true;
  out.confidence = confidence_of(score);
  out.face_box = box;
  out.landmarks = previous_;
  return out;
}

}  // namespace facemirror

#include "facemirror/analysis/multi_face_session.h"

#include <algorithm>

#include "facemirror/error.h"
#include "facemirror/gaze/gaze.h"

#include "face_fit.h"
#include "frame_order.h"

namespace facemirror {
namespace {

const analysis_models& checked(const std::shared_ptr<const analysis_models>& models,
                               const multi_face_options& options) {
  if (!models || !models->clnf || !models->validator || !models->mtcnn)
    throw error(error_code::invalid_argument,
                "multi_face_session: needs CLNF, the detection validator and MTCNN");
  if (models->aus && models->aus->model_kind() != au_model_set::kind::static_only)
    throw error(error_code::invalid_argument,
                "multi_face_session: several faces take the static AU models (a slot's face may "
                "change, so there is no person to calibrate the dynamic ones on)");
  if (options.max_faces < 1 || options.detect_every < 1 || options.max_failures < 0 ||
      !(options.new_face_overlap >= 0 && options.new_face_overlap <= 1) ||
      !(options.same_face_overlap >= 0 && options.same_face_overlap <= 1))
    throw error(error_code::invalid_argument,
                "multi_face_session: max_faces and detect_every must be at least 1, "
                "max_failures at least 0, the overlaps within [0, 1]");
  return *models;
}

// Intersection over union of two boxes.
double overlap(const cv::Rect2d& a, const cv::Rect2d& b) {
  const double both = (a & b).area();
  return both > 0 ? both / (a.area() + b.area() - both) : 0.0;
}

}  // namespace

/// One tracker: OpenFace's CLNF model state for one face.
struct multi_face_session::slot {
  explicit slot(std::shared_ptr<const clnf_model> model) : clnf(std::move(model)) {}

  bool occupied = false;
  clnf_tracker clnf;
  bool accepted = false;  // the previous frame's verdict (wide search windows after a rejection)
  int64_t failures = -1;  // rejected fits in a row, minus one
  detection_check verdict;
  landmarks_2d landmarks{};
  pdm_params params;
  eye_pair eyes{};
};

multi_face_session::multi_face_session(std::shared_ptr<const analysis_models> models,
                                       multi_face_options options,
                                       std::optional<camera_intrinsics> camera)
    : models_(std::move(models)), options_(options), given_camera_(camera), camera_(camera) {
  const analysis_models& m = checked(models_, options_);
  if (camera)
    camera->check();
  slots_.reserve(static_cast<size_t>(options_.max_faces));
  for (int k = 0; k < options_.max_faces; ++k)
    slots_.emplace_back(m.clnf);
}

multi_face_session::~multi_face_session() = default;
multi_face_session::multi_face_session(multi_face_session&&) noexcept = default;
multi_face_session& multi_face_session::operator=(multi_face_session&&) noexcept = default;

void multi_face_session::reset() {
  for (slot& s : slots_)
    s = slot(models_->clnf);
  camera_ = given_camera_;
  next_index_ = 0;
}

std::vector<frame_record> multi_face_session::track(const cv::Mat& bgr, double timestamp_s) {
  // A new video starts with reset() (the camera is the first frame's).
  detail::check_next_frame("multi_face_session", "reset()", bgr, timestamp_s, next_index_ == 0,
                           last_timestamp_s_);
  last_timestamp_s_ = timestamp_s;
  if (!camera_)
    camera_ = camera_intrinsics::guess(bgr.cols, bgr.rows);
  const analysis_models& m = *models_;
  const int64_t index = next_index_++;

  // New faces: detections on every detect_every-th frame while a slot is free, less those a
  // slot already tracks (a slot about to be freed on this frame still counts as tracking).
  std::vector<cv::Rect2d> found;
  const bool free_slot =
      std::any_of(slots_.begin(), slots_.end(), [](const slot& s) { return !s.occupied; });
  if (index % options_.detect_every == 0 && free_slot) {
    for (const face_detection& d : m.mtcnn->detect(bgr, m.mtcnn->options().min_face_px)) {
      const cv::Rect2d box = mtcnn_box_to_clnf(d.box);
      const bool known = std::any_of(slots_.begin(), slots_.end(), [&](const slot& s) {
        return s.occupied &&
               overlap(box, detail::landmark_box(s.landmarks)) > options_.new_face_overlap;
      });
      if (!known)
        found.push_back(box);
    }
  }

  // Two slots whose fits have come to coincide follow one face: the earlier slot is freed.
  for (size_t k = 0; k < slots_.size(); ++k) {
    for (size_t j = k + 1; j < slots_.size(); ++j) {
      if (slots_[k].occupied && slots_[j].occupied &&
          overlap(detail::landmark_box(slots_[k].landmarks),
                  detail::landmark_box(slots_[j].landmarks)) > options_.same_face_overlap) {
        slots_[k] = slot(m.clnf);
      }
    }
  }

  size_t next_found = 0;
  std::vector<frame_record> rows;
  for (size_t k = 0; k < slots_.size(); ++k) {
    slot& s = slots_[k];
    if (s.occupied && s.failures > options_.max_failures)
      s = slot(m.clnf);  // lost: the slot is free again
    clnf_fit_result fit;
    if (s.occupied) {
      fit = s.clnf.follow(bgr, !s.accepted);
    } else {
      if (next_found == found.size())
        continue;
      // FaceLandmarkVidMulti starts a new face from the frontal pose in its box, with the
      // search windows of a first fit.
      fit = s.clnf.start_in_box(bgr, found[next_found++], {cv::Vec3d()});
      if (!(fit.params.scale > 0))
        continue;
      s.occupied = true;
      s.failures = -1;
    }
    s.verdict = detail::validate_fit(*m.validator, bgr, fit);
    s.accepted = s.verdict.success;
    s.failures = s.accepted ? -1 : s.failures + 1;
    s.landmarks = fit.landmarks;
    s.params = std::move(fit.params);
    // A fit stopped as too small has no part fits: the eyes keep their last fit.
    if (!fit.parts.empty())
      s.eyes = eye_parts_of(m.clnf->part_names(), fit.parts);

    frame_record r =
        detail::describe_fit(bgr, s.landmarks, s.params, s.eyes, s.accepted, m, *camera_);
    r.index = index;
    r.face_id = static_cast<int>(k);
    r.timestamp_s = timestamp_s;
    r.confidence = s.verdict.certainty;
    r.success = s.accepted;
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace facemirror

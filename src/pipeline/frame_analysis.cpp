#include "frame_analysis.h"

namespace facemirror::detail {

namespace {

// CLNF has lost the face when its landmarks' centre leaves the box the detector just found.
bool outside(const landmarks_2d& landmarks, const cv::Rect2d& box) {
  cv::Point2d centre(0, 0);
  for (const auto& p : landmarks)
    centre += p;
  centre *= 1.0 / landmark_count;
  return !box.contains(centre);
}

cv::Rect2d bounding_box(const landmarks_2d& landmarks) {
  cv::Point2d lo = landmarks[0], hi = landmarks[0];
  for (const auto& p : landmarks) {
    lo = {std::min(lo.x, p.x), std::min(lo.y, p.y)};
    hi = {std::max(hi.x, p.x), std::max(hi.y, p.y)};
  }
  return {lo, hi};
}

}  // namespace

shared_models::shared_models(const model_paths& paths, bool compute_aus, bool static_aus,
                             bool use_clnf) {
  landmarks = std::make_shared<const landmark_model>(paths.dlib_landmarks);
  if (use_clnf)
    clnf = clnf_model::load(paths.clnf);
  pdm = std::make_shared<const point_distribution_model>(point_distribution_model::load(paths.pdm));
  if (compute_aus) {
    aus = au_model_set::load(paths.au_predictors, static_aus ? au_model_set::kind::static_only
                                                             : au_model_set::kind::dynamic);
    extractor = std::make_shared<const au_feature_extractor>(aus);
  }
}

landmark_session::landmark_session(const shared_models& models, const face_tracker_options& options)
    : tracker_(models.landmarks, options) {
  if (models.clnf)
    clnf_.emplace(models.clnf);
}

void landmark_session::reset() {
  tracker_.reset();
  if (clnf_)
    clnf_->reset();
  last_ = landmarks_2d{};
  has_last_ = false;
}

face_observation landmark_session::observe_from(const cv::Mat& bgr,
                                                const face_observation& estimate,
                                                std::optional<pdm_params>& clnf_params) {
  if (!clnf_)
    return observe(bgr, clnf_params);
  clnf_params.reset();
  face_observation seen = estimate;
  if (!seen.success) {
    clnf_->reset();
    seen.landmarks = last_;
    return seen;
  }
  // As in observe(): the estimate starts CLNF and says whether the face is still there; CLNF
  // then follows its own fit, so both ways of analysing a face track it alike.
  clnf_fit_result fit;
  if (clnf_->tracking()) {
    fit = clnf_->refine(bgr, last_);
    if (outside(fit.landmarks, bounding_box(estimate.landmarks)))
      clnf_->reset();
  }
  if (!clnf_->tracking())
    fit = clnf_->refine(bgr, estimate.landmarks);
  seen.landmarks = last_ = fit.landmarks;
  has_last_ = true;
  clnf_params = std::move(fit.params);
  return seen;
}

face_observation landmark_session::observe(const cv::Mat& bgr,
                                           std::optional<pdm_params>& clnf_params) {
  clnf_params.reset();
  if (!clnf_)
    return tracker_.track(bgr);
  // While CLNF follows the face, dlib only says whether and where it still is: its landmarks
  // are fitted only to (re)start CLNF. Refitting them every frame and restarting CLNF from them
  // when they disagreed let a bad dlib fit (a mirrored face's mouth 80 px low) into the output.
  face_observation seen = tracker_.track(bgr, landmark_fitting::on_acquisition);
  if (!seen.success) {
    clnf_->reset();
    if (has_last_)
      seen.landmarks = last_;
    return seen;
  }
  clnf_fit_result fit;
  if (!seen.fitted && clnf_->tracking()) {
    fit = clnf_->refine(bgr, last_);  // its own last fit as the estimate: follow it
    if (outside(fit.landmarks, seen.face_box))
      clnf_->reset();
  }
  if (!clnf_->tracking()) {
    const landmarks_2d estimate = seen.fitted ? seen.landmarks : tracker_.fit_landmarks(bgr);
    clnf_->reset();
    fit = clnf_->refine(bgr, estimate);
  }
  seen.landmarks = last_ = fit.landmarks;
  has_last_ = true;
  clnf_params = std::move(fit.params);
  return seen;
}

analysed_frame analyse_frame(const video_frame& frame, landmark_session& landmarks,
                             const shared_models& models, const camera_intrinsics& camera,
                             const face_observation* estimate) {
  analysed_frame out;
  frame_record& r = out.record;
  r.index = frame.index;
  r.timestamp_s = frame.timestamp_s;

  std::optional<pdm_params> clnf_params;
  const face_observation seen = estimate != nullptr
                                    ? landmarks.observe_from(frame.bgr, *estimate, clnf_params)
                                    : landmarks.observe(frame.bgr, clnf_params);
  r.success = seen.success;
  r.confidence = seen.confidence;
  r.landmarks = seen.landmarks;

  // Until a face has been seen there is nothing to fit: OpenFace writes zeros there.
  const bool never_seen = !seen.success && seen.landmarks[0] == cv::Point2d() &&
                          seen.landmarks[landmark_count - 1] == cv::Point2d();
  if (never_seen) {
    r.params.local.assign(models.pdm->mode_count(), 0.0);
    r.params.scale = 0.0;
    if (models.extractor)
      out.features = models.extractor->extract(frame.bgr, seen.landmarks, false);
    return out;
  }

  // The AU extractor re-fits the PDM itself (as OpenFace's FaceAnalyser does). OpenFace's p_*
  // and pose columns come from the landmark fit: CLNF's own parameters when CLNF is on; with
  // dlib alone, the AU extractor's fit is reused rather than fitting twice.
  if (models.extractor) {
    out.features = models.extractor->extract(frame.bgr, seen.landmarks, seen.success);
  }
  if (clnf_params) {
    r.params = *clnf_params;
  } else if (out.features) {
    r.params = out.features->params;
  } else {
    r.params = models.pdm->fit(seen.landmarks);
  }
  r.pose = estimate_head_pose(*models.pdm, r.params, r.landmarks, camera);
  r.landmarks_mm = landmarks_in_camera_space(*models.pdm, r.params, r.landmarks, camera);
  return out;
}

}  // namespace facemirror::detail

#include "frame_analysis.h"

namespace facemirror::detail {

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
}

face_observation landmark_session::observe(const cv::Mat& bgr,
                                           std::optional<pdm_params>& clnf_params) {
  face_observation seen = tracker_.track(bgr);
  clnf_params.reset();
  if (!clnf_)
    return seen;
  if (!seen.success) {
    clnf_->reset();
    return seen;
  }
  clnf_fit_result fit = clnf_->refine(bgr, seen.landmarks);
  seen.landmarks = fit.landmarks;
  clnf_params = std::move(fit.params);
  return seen;
}

analysed_frame analyse_frame(const video_frame& frame, landmark_session& landmarks,
                             const shared_models& models, const camera_intrinsics& camera) {
  analysed_frame out;
  frame_record& r = out.record;
  r.index = frame.index;
  r.timestamp_s = frame.timestamp_s;

  std::optional<pdm_params> clnf_params;
  const face_observation seen = landmarks.observe(frame.bgr, clnf_params);
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

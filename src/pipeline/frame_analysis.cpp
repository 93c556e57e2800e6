#include "frame_analysis.h"

namespace facemirror::detail {

shared_models::shared_models(const model_paths& paths, bool compute_aus, bool static_aus) {
  landmarks = std::make_shared<const landmark_model>(paths.dlib_landmarks);
  pdm = std::make_shared<const point_distribution_model>(point_distribution_model::load(paths.pdm));
  if (compute_aus) {
    aus = au_model_set::load(paths.au_predictors, static_aus ? au_model_set::kind::static_only
                                                             : au_model_set::kind::dynamic);
    extractor = std::make_shared<const au_feature_extractor>(aus);
  }
}

analysed_frame analyse_frame(const video_frame& frame, face_tracker& tracker,
                             const shared_models& models, const camera_intrinsics& camera) {
  analysed_frame out;
  frame_record& r = out.record;
  r.index = frame.index;
  r.timestamp_s = frame.timestamp_s;

  const face_observation seen = tracker.track(frame.bgr);
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

  // The AU extractor re-fits the PDM itself (as OpenFace's FaceAnalyser does); reuse that fit
  // for the p_* and pose columns instead of fitting twice.
  if (models.extractor) {
    out.features = models.extractor->extract(frame.bgr, seen.landmarks, seen.success);
    r.params = out.features->params;
  } else {
    r.params = models.pdm->fit(seen.landmarks);
  }
  r.pose = estimate_head_pose(*models.pdm, r.params, r.landmarks, camera);
  r.landmarks_mm = landmarks_in_camera_space(*models.pdm, r.params, r.landmarks, camera);
  return out;
}

}  // namespace facemirror::detail

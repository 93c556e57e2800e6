#include "face_fit.h"

#include <algorithm>

#include "facemirror/analysis/image_analyzer.h"
#include "facemirror/gaze/gaze.h"

namespace facemirror::detail {

cv::Rect2d landmark_box(const landmarks_2d& landmarks) {
  cv::Point2d lo = landmarks[0], hi = landmarks[0];
  for (const auto& p : landmarks) {
    lo = {std::min(lo.x, p.x), std::min(lo.y, p.y)};
    hi = {std::max(hi.x, p.x), std::max(hi.y, p.y)};
  }
  return {lo, hi};
}

detection_check validate_fit(const detection_validator& validator, const cv::Mat& bgr,
                             const clnf_fit_result& fit) {
  if (fit.face_too_small)
    return detection_check{};
  return validator.validate(bgr, fit.landmarks,
                            cv::Vec3d(fit.params.rx, fit.params.ry, fit.params.rz));
}

frame_record describe_fit(const cv::Mat& bgr, const landmarks_2d& landmarks,
                          const pdm_params& params, const eye_pair& eyes, bool gaze,
                          const analysis_models& models, const camera_intrinsics& camera) {
  frame_record r;
  r.landmarks = landmarks;
  r.params = params;
  r.pose = estimate_head_pose(*models.pdm, r.params, r.landmarks, camera);
  r.landmarks_mm = landmarks_in_camera_space(*models.pdm, r.params, r.landmarks, camera);
  r.eyes = observe_eyes(eyes, r.landmarks_mm, r.pose, camera, gaze);
  if (models.extractor) {
    const au_features features = models.extractor->extract(bgr, r.landmarks, true);
    au_values values = predict_still_image_aus(*models.aus, features);
    r.au_intensity = std::move(values.intensity);
    r.au_presence = std::move(values.presence);
  }
  return r;
}

}  // namespace facemirror::detail

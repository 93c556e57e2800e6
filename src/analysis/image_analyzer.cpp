#include "facemirror/analysis/image_analyzer.h"

#include <algorithm>

#include "facemirror/error.h"
#include "facemirror/gaze/gaze.h"

#include "face_fit.h"

namespace facemirror {

image_analyzer::image_analyzer(std::shared_ptr<const analysis_models> models)
    : models_(std::move(models)) {
  if (!models_ || !models_->clnf || !models_->validator || !models_->mtcnn)
    throw error(error_code::invalid_argument,
                "image_analyzer: needs CLNF, the detection validator and MTCNN");
  if (models_->aus && models_->aus->model_kind() != au_model_set::kind::static_only)
    throw error(error_code::invalid_argument,
                "image_analyzer: a still image takes the static AU models (no video to "
                "calibrate the dynamic ones on)");
}

std::vector<frame_record> image_analyzer::analyze(
    const cv::Mat& bgr, const std::optional<camera_intrinsics>& camera) const {
  const int channels = bgr.channels();
  if (bgr.empty() || bgr.depth() != CV_8U || (channels != 1 && channels != 3 && channels != 4))
    throw error(error_code::invalid_argument,
                "image_analyzer: needs a non-empty 8-bit image of 1, 3 or 4 channels");
  if (camera)
    camera->check();
  const camera_intrinsics cam = camera ? *camera : camera_intrinsics::guess(bgr.cols, bgr.rows);
  const analysis_models& m = *models_;
  // One tracker serves every face: start_in_box forgets the previous face each time.
  clnf_tracker clnf(m.clnf);

  std::vector<frame_record> faces;
  for (const face_detection& face : m.mtcnn->detect(bgr, m.mtcnn->options().min_face_px)) {
    // FaceLandmarkImg starts from the frontal pose alone, not from the eleven rotations the
    // video mode tries after a detection: with them, the faces of sample1-3 turned 0.1-0.4 rad
    // away from OpenFace's fits and up to 29 px off.
    clnf_fit_result fit = clnf.start_in_box(bgr, mtcnn_box_to_clnf(face.box), {cv::Vec3d()});
    if (!(fit.params.scale > 0))
      continue;
    const detection_check check = detail::validate_fit(*m.validator, bgr, fit);
    // FaceLandmarkImg estimates the gaze and AUs of every face it fits, whatever the validator
    // says.
    frame_record r = detail::describe_fit(bgr, fit.landmarks, fit.params,
                                          eye_parts_of(m.clnf->part_names(), fit.parts),
                                          /*gaze=*/true, m, cam);
    r.index = static_cast<int64_t>(faces.size());
    r.confidence = check.certainty;
    r.success = check.success;
    faces.push_back(std::move(r));
  }
  return faces;
}

au_values predict_still_image_aus(const au_model_set& models, const au_features& f) {
  if (models.model_kind() != au_model_set::kind::static_only || models.any_dynamic())
    throw error(error_code::invalid_argument,
                "predict_still_image_aus: needs the static AU models");
  const auto& ms = models.models();
  std::vector<double> dots(ms.size());
  models.dot_all(f.hog.data(), f.geometry.data(), dots.data());
  au_values out;
  const size_t n_int = models.intensity_names().size();
  for (size_t k = 0; k < ms.size(); ++k) {
    const double v = dots[k] + models.constants()[k];
    if (k < n_int)
      out.intensity.push_back(std::clamp(v, 0.0, 5.0));
    else
      out.presence.push_back(v > 0 ? ms[k].positive_class : ms[k].negative_class);
  }
  return out;
}

}  // namespace facemirror

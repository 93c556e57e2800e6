// Per-frame AU features: PDM re-fit, aligned masked face, FHOG and geometry.
#include <opencv2/imgproc.hpp>

#include "facemirror/au/au_engine.h"
#include "facemirror/error.h"
#include "facemirror/features/au_descriptors.h"

namespace facemirror {
namespace {

constexpr int hog_cell = 8;

au_features failed_features(const au_model_set& models, cv::Mat* aligned) {
  // OpenFace describes a failed frame by a black face and zero shape weights; the HOG of a
  // black image is constant, but cheap enough not to cache.
  const int size = models.aligner().size();
  au_features f;
  f.success = false;
  const cv::Mat black(size, size, CV_8UC3, cv::Scalar::all(0));
  f.hog = extract_fhog(black, hog_cell);
  if (aligned != nullptr)
    *aligned = black;
  f.geometry = geometry_descriptor(models.pdm(), {});
  f.params.local.assign(models.pdm().mode_count(), 0.0);
  return f;
}

}  // namespace

au_feature_extractor::au_feature_extractor(std::shared_ptr<const au_model_set> models)
    : models_(std::move(models)) {
  FACEMIRROR_CHECK(models_ != nullptr, "au_feature_extractor: null model set");
}

cv::Mat au_feature_extractor::aligned_face(const cv::Mat& bgr, const landmarks_2d& landmarks,
                                           const pdm_params& params) const {
  if (bgr.depth() != CV_8U || (bgr.channels() != 1 && bgr.channels() != 3 && bgr.channels() != 4))
    throw error(error_code::invalid_argument,
                "au_feature_extractor: expected an 8-bit grey, BGR or BGRA frame");
  cv::Mat face = models_->aligner().align(bgr, landmarks, params).image;
  if (face.channels() == 4)
    cv::cvtColor(face, face, cv::COLOR_BGRA2BGR);
  return face;
}

au_features au_feature_extractor::extract(const cv::Mat& bgr, const landmarks_2d& landmarks,
                                          bool success, cv::Mat* aligned) const {
  if (!success)
    return failed_features(*models_, aligned);
  // OpenFace's FaceAnalyser re-fits the PDM to the tracked landmarks and describes the face
  // with that fit, not with the tracker's own parameters.
  return extract_with_params(bgr, landmarks, models_->pdm().fit(landmarks), true, aligned);
}

au_features au_feature_extractor::extract_with_params(const cv::Mat& bgr,
                                                      const landmarks_2d& landmarks,
                                                      const pdm_params& params, bool success,
                                                      cv::Mat* aligned) const {
  if (!success || !(params.scale > 0.0))
    return failed_features(*models_, aligned);
  au_features f;
  f.success = true;
  f.params = params;
  cv::Mat face = aligned_face(bgr, landmarks, params);
  f.hog = extract_fhog(face, hog_cell);
  if (aligned != nullptr)
    *aligned = std::move(face);
  f.geometry = geometry_descriptor(models_->pdm(), params.local);
  FACEMIRROR_CHECK(static_cast<int>(f.hog.size()) == models_->hog_length(),
                   "au_feature_extractor: unexpected FHOG length");
  return f;
}

}  // namespace facemirror

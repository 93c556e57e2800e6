#pragma once
// Every face in one still image, as OpenFace 2.2's FaceLandmarkImg finds and measures them.
//
// WHAT THIS REPRESENTS
//   image_analyzer::analyze: MTCNN finds the faces of the whole image; CLNF starts in each
//   face's (corrected) box from the frontal pose (FaceLandmarkImg does not try the other start
//   rotations its video mode tries); the detection validator gives its confidence and success; pose
//   and 3-D landmarks come from the fit and the camera; the AUs from OpenFace's static models on
//   that one image (no person-specific median, no post-processing: a still has no video to
//   calibrate on). One frame_record per face, in the order the CSV lists them (face = position in
//   the list).
//
// UNITS
//   2-D landmarks in pixels of the image; pose translation and 3-D landmarks in millimetres,
//   camera space; rotations in radians.
//
// THREAD SAFETY
//   analyze() is const and keeps its scratch on the stack: one analyzer may serve any number
//   of threads. It shares the (immutable) analysis_models it was made with.
//
// ERRORS
//   The constructor throws error(invalid_argument) when the models lack CLNF, the validator,
//   MTCNN, or (with AUs on) are not the static AU models. analyze() throws
//   error(invalid_argument) on an empty image or one not 8-bit of 1, 3 or 4 channels. An image
//   without a face gives an empty list, not an error.

#include <memory>
#include <optional>
#include <vector>

#include "facemirror/analysis/landmark_session.h"
#include "facemirror/output/csv_writer.h"

namespace facemirror {

class image_analyzer {
 public:
  /// `models` loaded with CLNF and MTCNN (clnf_start::mtcnn_box) and, for AUs, with the static
  /// AU models (analysis_models' static_aus).
  explicit image_analyzer(std::shared_ptr<const analysis_models> models);

  /// The faces of `bgr` (8-bit BGR, BGRA or grey). `camera`: the image's intrinsics
  /// (checked: camera_intrinsics::check()), or OpenFace's guess from the image size when absent.
  [[nodiscard]] std::vector<frame_record> analyze(
      const cv::Mat& bgr, const std::optional<camera_intrinsics>& camera = std::nullopt) const;

 private:
  std::shared_ptr<const analysis_models> models_;
};

/// OpenFace's AU values for one still image from the static models: each intensity model's
/// prediction clamped to [0, 5], each presence model's class. `models` must hold static
/// models only (au_model_set::kind::static_only); throws error(invalid_argument) otherwise.
[[nodiscard]] au_values predict_still_image_aus(const au_model_set& models, const au_features& f);

}  // namespace facemirror

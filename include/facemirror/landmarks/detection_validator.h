#pragma once
// OpenFace 2.2's detection validator: decides per frame whether a landmark fit lies on a face.
// Re-implemented against OpenFace's model file (main_clnf_general.txt names
// detection_validation/validator_cnn.txt); its binary layout was established by reading it.
//
// WHAT THIS REPRESENTS
//   detection_validator: the read-only model, one classifier per head orientation (view: yaw
//   0, +-20, +-45, +-70 degrees). check() picks the view nearest the head rotation, warps the
//   face piecewise-affinely onto that view's 60x60 reference shape (68 landmarks, a stored
//   triangulation and mask), normalises the pixels inside the mask (per image, then with the
//   stored per-pixel mean and standard deviation), and runs a small CNN (two 9x9 / 7x7
//   convolution + ReLU + 2x2 max-pool stages, two fully connected layers). The CNN's arg-max
//   over 30 bins quantises a fit error in [-1, 1]; the certainty is 0.5 * (1 - error) of that
//   bin's centre, i.e. 1 - (2 k + 1) / 60 for bin k: 0.983 for a good face, ~0.02 for none.
//   That certainty is exactly what OpenFace writes as `confidence`; `success` is
//   certainty > 0.725 (OpenFace's validation_boundary). One exception belongs to the tracker,
//   not here: when a re-detection after a failure also fails, OpenFace restores the previous
//   landmarks but keeps the discarded fit's certainty (multi_face.avi frame 578: 0.02 written,
//   0.72 for the written landmarks).
//
// THREAD SAFETY
//   Immutable after load(): share one (std::shared_ptr<const>) between threads; every const
//   method keeps its scratch buffers local to the call.

#include <filesystem>
#include <memory>

#include <opencv2/core.hpp>

#include "facemirror/types.h"

namespace facemirror {

struct detection_check {
  double certainty = 0.0;  // OpenFace's detection_certainty, the CSV's `confidence`, in [0, 1]
  bool success = false;    // certainty > threshold: the CSV's `success`
};

class detection_validator {
 public:
  /// OpenFace's FaceModelParameters::validation_boundary.
  static constexpr double default_threshold = 0.725;

  /// Reads validator_cnn.txt (OpenFace's binary validator, type 3: CNN). Throws
  /// facemirror::error(model_format) naming the file when it is missing, truncated or
  /// inconsistent (layer sizes that do not chain, a bad triangulation...).
  [[nodiscard]] static std::shared_ptr<const detection_validator> load(
      const std::filesystem::path& file);

  detection_validator(const detection_validator&) = delete;
  detection_validator& operator=(const detection_validator&) = delete;
  ~detection_validator();

  /// OpenFace's certainty for `landmarks` (image pixels) on `image` (8-bit grey, BGR or BGRA:
  /// colour is converted as cv::COLOR_BGR2GRAY, as OpenFace does). `rotation` is the head
  /// rotation (p_rx, p_ry, p_rz, radians) that picks the view. Landmarks whose box does not
  /// overlap the image, or that are not finite, give 0. Another image type throws
  /// error(invalid_argument).
  [[nodiscard]] double check(const cv::Mat& image, const landmarks_2d& landmarks,
                             const cv::Vec3d& rotation) const;

  /// check() plus the success decision.
  [[nodiscard]] detection_check validate(const cv::Mat& image, const landmarks_2d& landmarks,
                                         const cv::Vec3d& rotation,
                                         double threshold = default_threshold) const;

  // Inspection (tests, diagnostics).
  [[nodiscard]] int view_count() const;
  /// The view whose centre (radians) is nearest `rotation` (Euclidean, first on ties).
  [[nodiscard]] int view_for(const cv::Vec3d& rotation) const;
  [[nodiscard]] cv::Vec3d view_centre(int view) const;  // radians
  /// The view's reference shape: the warped grid's pixel (x, y) is reference coordinate
  /// reference_origin(view) + (x, y).
  [[nodiscard]] landmarks_2d reference_shape(int view) const;
  [[nodiscard]] cv::Point2d reference_origin(int view) const;
  /// CV_8U, 1 inside the face region that the CNN sees (60x60 in OpenFace's file).
  [[nodiscard]] cv::Mat mask(int view) const;
  /// The piecewise-affine warp check() feeds the CNN before normalisation: grey levels,
  /// CV_32F, mask size, 0 outside the mask. `image` as for check(). Empty when the landmarks'
  /// box misses the image.
  [[nodiscard]] cv::Mat warp(const cv::Mat& image, const landmarks_2d& landmarks, int view) const;

 private:
  struct impl;
  explicit detection_validator(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace facemirror

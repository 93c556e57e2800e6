#pragma once
// OpenFace 2.2's AU face alignment: a similarity transform (scale + rotation, no shear) that
// maps the tracked landmarks' rigid subset onto the PDM mean shape scaled by 0.7, applied to
// the frame as a 112x112 crop, then masked to the face by the triangulated landmark hull with
// the brow and upper-jaw points lifted so that the forehead wrinkles stay in.
//
// THREAD SAFETY
//   triangulation and face_aligner are immutable after construction: share them freely.

#include <array>
#include <filesystem>
#include <vector>

#include <opencv2/core.hpp>

#include "facemirror/landmarks/pdm.h"
#include "facemirror/landmarks/shape_alignment.h"  // align_shapes_with_scale
#include "facemirror/types.h"

namespace facemirror {

/// OpenFace's face triangulation (tris_68_full.txt): triangles over landmark indices.
class triangulation {
 public:
  /// Parses OpenFace's text matrix (rows, cols = 3, type, then the indices).
  /// Throws error(model_format) naming the file if it is missing, malformed or out of range.
  [[nodiscard]] static triangulation load(const std::filesystem::path& file, int point_count = 68);
  explicit triangulation(std::vector<std::array<int, 3>> triangles = {})
      : triangles_(std::move(triangles)) {}
  [[nodiscard]] const std::vector<std::array<int, 3>>& triangles() const { return triangles_; }

 private:
  std::vector<std::array<int, 3>> triangles_;
};

/// 0/1 mask of the integer pixel positions covered (edges included) by any triangle over
/// `points`. This is the coverage rule of OpenFace's piecewise-affine warp pixel mask: a pixel
/// centre is in if it is on the same side (or on) each edge as the opposite vertex, tested in
/// single precision.
[[nodiscard]] cv::Mat_<uchar> triangle_mask(const std::vector<cv::Point2f>& points,
                                            const triangulation& tris, cv::Size size);

struct aligned_face {
  cv::Mat image;     // size x size, same type as the input frame, zero outside the mask
  cv::Matx23d warp;  // frame -> aligned image
};

class face_aligner {
 public:
  /// `pdm` supplies the mean shape that defines the canonical face.
  face_aligner(const point_distribution_model& pdm, triangulation tris, double sim_scale = 0.7,
               int size = 112);

  /// Frame -> aligned-image similarity for the tracked `landmarks`; the translation puts the
  /// PDM fit's (tx, ty) at the image centre, as OpenFace does.
  [[nodiscard]] cv::Matx23d warp_for(const landmarks_2d& landmarks, const pdm_params& params) const;

  /// Warped (bilinear, black border) face crop, masked to the face unless `masked` is false
  /// (OpenFace's -nomask, which changes only the faces it writes).
  [[nodiscard]] aligned_face align(const cv::Mat& frame, const landmarks_2d& landmarks,
                                   const pdm_params& params, bool masked = true) const;

  /// The same alignment at another scale and crop size (OpenFace's -simscale, -simsize).
  /// Both must be positive (else error(internal)).
  [[nodiscard]] face_aligner with_scale_and_size(double sim_scale, int size) const;

  [[nodiscard]] int size() const { return size_; }

 private:
  void scale_reference();

  std::vector<cv::Point2d> rigid_mean_;       // mean shape, rigid subset
  std::vector<cv::Point2d> rigid_reference_;  // mean shape * sim_scale, rigid subset
  triangulation tris_;
  double sim_scale_;
  int size_;
};

}  // namespace facemirror

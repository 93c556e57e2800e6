#pragma once
// OpenFace's 3-D point distribution model (PDM) and its rigid+non-rigid fit (CalcParams),
// plus the head pose and 3-D landmarks OpenFace derives from it.
//
// WHAT THIS REPRESENTS
//   A linear 3-D shape model: shape = mean + V * local, 68 points, stored grouped
//   (X0..X67, Y0..Y67, Z0..Z67), placed in the image by a weak-perspective (scaled
//   orthographic) projection: x = scale * (R * X)_x + tx, y = scale * (R * X)_y + ty,
//   R = Rx(rx) * Ry(ry) * Rz(rz).
//
// THREAD SAFETY
//   Immutable after load(): share one instance between any number of threads.

#include <filesystem>
#include <vector>

#include "facemirror/types.h"

namespace facemirror {

/// OpenFace's p_scale, p_rx, p_ry, p_rz, p_tx, p_ty and p_0..p_{n-1}.
struct pdm_params {
  double scale = 1.0;
  double rx = 0.0, ry = 0.0, rz = 0.0;  // radians
  double tx = 0.0, ty = 0.0;            // pixels
  std::vector<double> local;            // non-rigid mode weights (not normalised by eigenvalue)
};

class point_distribution_model {
 public:
  /// Parses an OpenFace PDM text file (mean, principal components, eigenvalues).
  /// Throws facemirror::error(model_format) naming the file if it is missing or malformed.
  [[nodiscard]] static point_distribution_model load(const std::filesystem::path& file);

  [[nodiscard]] int point_count() const { return static_cast<int>(mean_.rows / 3); }
  [[nodiscard]] int mode_count() const { return princ_comp_.cols; }

  /// Fits global and local parameters to 2-D landmarks (OpenFace's CalcParams: regularised
  /// Gauss-Newton from a bounding-box initialisation). Points with x == 0 are ignored.
  [[nodiscard]] pdm_params fit(const landmarks_2d& landmarks) const;

  /// Projects the model shape for `params` into the image.
  [[nodiscard]] landmarks_2d project(const pdm_params& params) const;

  /// mean + V * local, in model coordinates (3n x 1, grouped X/Y/Z).
  [[nodiscard]] cv::Mat_<double> shape_3d(const std::vector<double>& local) const;

  /// V * local without the mean (3n x 1): the geometry part of OpenFace's AU features.
  [[nodiscard]] cv::Mat_<double> shape_variation(const std::vector<double>& local) const;

  [[nodiscard]] const cv::Mat_<double>& mean_shape() const { return mean_; }        // 3n x 1
  [[nodiscard]] const cv::Mat_<double>& components() const { return princ_comp_; }  // 3n x m
  [[nodiscard]] const cv::Mat_<double>& eigenvalues() const { return eigen_values_; } // 1 x m

 private:
  cv::Mat_<double> mean_;
  cv::Mat_<double> princ_comp_;
  cv::Mat_<double> eigen_values_;
};

/// Pin-hole camera used to turn the weak-perspective fit into metric pose.
struct camera_intrinsics {
  double fx = 0, fy = 0, cx = 0, cy = 0;
  /// OpenFace's guess when none are given: fx = fy = 500 * (w/640 + h/480) / 2, centre of image.
  [[nodiscard]] static camera_intrinsics guess(int width, int height);
};

/// OpenFace's pose_Tx, pose_Ty, pose_Tz (mm) and pose_Rx, pose_Ry, pose_Rz (radians).
struct head_pose {
  double tx = 0, ty = 0, tz = 0;
  double rx = 0, ry = 0, rz = 0;
};

[[nodiscard]] head_pose estimate_head_pose(const pdm_params& params, const camera_intrinsics& cam);

/// OpenFace's X_i, Y_i, Z_i (mm, camera space): the rotated model shape placed at the depth
/// implied by the weak-perspective scale, back-projected through the 2-D landmarks.
[[nodiscard]] landmarks_3d landmarks_in_camera_space(const point_distribution_model& pdm,
                                                     const pdm_params& params,
                                                     const landmarks_2d& landmarks,
                                                     const camera_intrinsics& cam);

}  // namespace facemirror

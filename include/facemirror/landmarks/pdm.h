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
//   Immutable after load(): share one instance between any number of threads (fit() and the
//   other const members use only call-local buffers). The free functions are pure.

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
  /// Gauss-Newton from a bounding-box initialisation). Points with x == 0 (or non-finite) are
  /// ignored. With fewer than 3 usable points (or a degenerate box) it returns scale 0 and
  /// zero local weights, OpenFace's "no fit" marker. Requires a 68-point model.
  /// This is the refit OpenFace's FaceAnalyser does for alignment and geometry features; the
  /// p_* columns of OpenFace's CSV come from its CLNF tracker instead, so they agree with
  /// fit() closely but not exactly (tests/landmarks/pdm_reference_test.cpp).
  [[nodiscard]] pdm_params fit(const landmarks_2d& landmarks) const;

  /// Projects the model shape for `params` into the image. Requires a 68-point model.
  [[nodiscard]] landmarks_2d project(const pdm_params& params) const;

  /// mean + V * local, in model coordinates (3n x 1, grouped X/Y/Z). An empty `local` means
  /// all zeros (the mean shape); any other size must equal mode_count().
  [[nodiscard]] cv::Mat_<double> shape_3d(const std::vector<double>& local) const;

  /// V * local without the mean (3n x 1): the geometry part of OpenFace's AU features.
  [[nodiscard]] cv::Mat_<double> shape_variation(const std::vector<double>& local) const;

  [[nodiscard]] const cv::Mat_<double>& mean_shape() const { return mean_; }           // 3n x 1
  [[nodiscard]] const cv::Mat_<double>& components() const { return princ_comp_; }     // 3n x m
  [[nodiscard]] const cv::Mat_<double>& eigenvalues() const { return eigen_values_; }  // 1 x m

 private:
  cv::Mat_<double> mean_;
  cv::Mat_<double> princ_comp_;
  cv::Mat_<double> eigen_values_;
  // Six m x m Gram matrices of the components over all points (xx, yy, zz, xy+yx, xz+zx,
  // yz+zy), built at load: they turn the local-local block of the Gauss-Newton Hessian into a
  // weighted sum of six constant matrices instead of a sum over 136 Jacobian rows.
  std::vector<double> gram_;

  // Fills `out` with those six Gram matrices summed over `points` (0-based point indices).
  static void gram_over(const cv::Mat_<double>& components, const std::vector<int>& points,
                        std::vector<double>& out);
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

/// The weak-perspective pose alone: Tz = fx / scale, Tx = (tx - cx) * Tz / fx,
/// Ty = (ty - cy) * Tz / fy, rotation = (rx, ry, rz). OpenFace 2.2 only uses this as the
/// starting point of its perspective refinement (the overload below).
[[nodiscard]] head_pose estimate_head_pose(const pdm_params& params, const camera_intrinsics& cam);

/// OpenFace 2.2's pose_T* / pose_R*: starting from the weak-perspective pose above, the
/// model shape (mean + V * local, unrotated) is fitted to `landmarks` under full perspective
/// (iterative PnP, Levenberg-Marquardt on reprojection error) and the rotation is reported as
/// Rx*Ry*Rz Euler angles. Points with x == 0 are ignored. Returns the weak-perspective pose
/// when params.scale == 0 or fewer than 4 points are usable.
[[nodiscard]] head_pose estimate_head_pose(const point_distribution_model& pdm,
                                           const pdm_params& params, const landmarks_2d& landmarks,
                                           const camera_intrinsics& cam);

/// OpenFace's X_i, Y_i, Z_i (mm, camera space): the rotated model shape placed at the depth
/// implied by the weak-perspective scale, back-projected through the 2-D landmarks.
[[nodiscard]] landmarks_3d landmarks_in_camera_space(const point_distribution_model& pdm,
                                                     const pdm_params& params,
                                                     const landmarks_2d& landmarks,
                                                     const camera_intrinsics& cam);

}  // namespace facemirror

#pragma once
// OpenFace's 3-D point distribution model (PDM) and its rigid+non-rigid fit (CalcParams),
// plus the head pose and 3-D landmarks OpenFace derives from it.
//
// WHAT THIS REPRESENTS
//   A linear 3-D shape model: shape = mean + V * local, n points (68 for the face; the CLNF's
//   part models have others), stored grouped (X0..Xn-1, Y0..Yn-1, Z0..Zn-1), units those of
//   the model file (mm for OpenFace's), placed in the image by a weak-perspective (scaled
//   orthographic) projection: x = scale * (R * X)_x + tx, y = scale * (R * X)_y + ty,
//   R = Rx(rx) * Ry(ry) * Rz(rz).
//
// THREAD SAFETY
//   Immutable after load(): share one instance between any number of threads (fit() and the
//   other const members use only call-local buffers). The free functions are pure.

#include <array>
#include <filesystem>
#include <optional>
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

/// The one PDM class: the 68-point model of the face (the AU features, head pose, tracking) and,
/// loaded with any_point_count, the CLNF's part models (eyes, brows, lips) alike.
class point_distribution_model {
 public:
  static constexpr int any_point_count = 0;

  /// Parses an OpenFace PDM text file (mean, principal components, eigenvalues) of
  /// `point_count` points (any_point_count: whatever the file holds).
  /// Throws facemirror::error(model_format) naming the file if it is missing or malformed, or
  /// holds another number of points.
  [[nodiscard]] static point_distribution_model load(const std::filesystem::path& file,
                                                     int point_count = landmark_count);

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

  /// Where a fit starts. OpenFace's CalcParams puts the model's origin at the centre of the
  /// landmarks' box; mean_box_at_box_centre puts the centre of the mean shape's box there
  /// instead, which differs for a model whose origin is off that centre (the CLNF's part models
  /// start so: see clnf_model.cpp).
  enum class fit_start { origin_at_box_centre, mean_box_at_box_centre };
  /// The same fit for a model of any point count; `points` has point_count() entries.
  [[nodiscard]] pdm_params fit(const std::vector<cv::Point2d>& points,
                               fit_start start = fit_start::origin_at_box_centre) const;

  /// Projects the model shape for `params` into the image. Requires a 68-point model.
  [[nodiscard]] landmarks_2d project(const pdm_params& params) const;
  /// The same for a model of any point count (point_count() points).
  [[nodiscard]] std::vector<cv::Point2d> project_points(const pdm_params& params) const;

  /// mean + V * local, point by point (n points): the one computation of the model shape,
  /// which the fitter, the projection and shape_3d() read. `local` as for shape_3d().
  void model_points(const std::vector<double>& local, std::vector<cv::Point3d>& out) const;
  /// The same shape as one column (3n x 1, grouped X/Y/Z). An empty `local` means all zeros
  /// (the mean shape); any other size must equal mode_count() (else error(internal)).
  [[nodiscard]] cv::Mat_<double> shape_3d(const std::vector<double>& local) const;
  /// V * local without the mean (3n x 1): the geometry part of OpenFace's AU features.
  [[nodiscard]] cv::Mat_<double> shape_variation(const std::vector<double>& local) const;

  // What the CLNF fitter's Gauss-Newton steps need (OpenFace's PDM Jacobian, update and clamp).
  /// Jacobian of the projected points: rows 2i (x) and 2i+1 (y); columns scale, the three
  /// rotation increments w of R * (I + [w]x), tx, ty, then the local modes unless `rigid`.
  void jacobian(const pdm_params& params, bool rigid, cv::Mat_<double>& out) const;
  /// Adds a step in the Jacobian's columns (6 rigid, or 6 + mode_count()); the rotation is
  /// composed with the increment, not added, so it stays a rotation.
  void apply_step(pdm_params& params, const cv::Mat_<double>& step) const;
  /// Local weights to +-3 sqrt(eigenvalue); rotations to [-pi/2, pi/2] when `limit_pose`.
  void clamp(pdm_params& params, bool limit_pose) const;

  [[nodiscard]] const cv::Mat_<double>& mean_shape() const { return mean_; }           // 3n x 1
  [[nodiscard]] const cv::Mat_<double>& components() const { return princ_comp_; }     // 3n x m
  [[nodiscard]] const cv::Mat_<double>& eigenvalues() const { return eigen_values_; }  // 1 x m

 private:
  pdm_params fit_points(const cv::Point2d* points, fit_start start) const;

  cv::Mat_<double> mean_;
  cv::Mat_<double> princ_comp_;
  cv::Mat_<double> eigen_values_;
  // The components again, mode by mode (m x 3n): model_points() adds one mode to every
  // coordinate at a time, which vectorises, in the same order of additions per coordinate.
  std::vector<double> components_by_mode_;
  // Six m x m Gram matrices of the components over all points (xx, yy, zz, xy+yx, xz+zx,
  // yz+zy), built at load: they turn the local-local block of the Gauss-Newton Hessian into a
  // weighted sum of six constant matrices instead of a sum over 2n Jacobian rows.
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
  /// Throws error(invalid_argument) naming the values unless fx and fy are positive and all
  /// four finite (a NaN would reach every pose and gaze column unnoticed).
  void check() const;
};

/// What a user knows of the camera, as OpenFace's -fx -fy and -cx -cy give it: the focal
/// lengths, the principal point, both or neither. What is not given is OpenFace's guess for
/// each frame's size, so one setting serves videos of different sizes.
struct camera_setting {
  std::optional<std::array<double, 2>> focal;   ///< fx, fy in pixels
  std::optional<std::array<double, 2>> centre;  ///< cx, cy in pixels
  [[nodiscard]] bool empty() const { return !focal && !centre; }
  /// The intrinsics for frames of width x height pixels.
  [[nodiscard]] camera_intrinsics for_frame(int width, int height) const;
  /// Throws error(invalid_argument) naming the values unless a given focal pair is positive and
  /// every given value finite.
  void check() const;
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

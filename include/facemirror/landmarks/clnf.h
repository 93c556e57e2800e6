#pragma once
// Constrained Local Neural Field (CLNF) landmark fitting, re-implemented from Baltrusaitis,
// Robinson & Morency (ICCV-W 2013) and Saragih et al. (IJCV 2011) against OpenFace 2.2's
// model files (main_clnf_general.txt: 68-point PDM, CCNF patch experts at three scales and
// seven views, plus inner-face and eye part models).
//
// WHAT THIS REPRESENTS
//   clnf_model: the read-only model (PDM, patch experts, part models), loaded once per run.
//   clnf_model::fit: one fit of the PDM parameters to a grey image from an initial estimate:
//   coarse-to-fine over the patch scales, each scale a rigid then a non-rigid regularised
//   landmark mean-shift (RLMS) on the patch experts' response maps; then the part models refine
//   their landmarks and the 68-point PDM is refitted to the merged shape (as OpenFace does, so
//   the output is always a PDM shape).
//   clnf_tracker: the per-video integration point: refine an external estimate (the dlib
//   tracker's landmarks), start from a face box (OpenFace's initialisation from its MTCNN
//   detection) or follow the previous frame's fit, as OpenFace's video mode does.
//
// THREAD SAFETY
//   clnf_model is immutable after load(): share one (std::shared_ptr<const>) between threads;
//   fit() keeps all scratch in call-local buffers. clnf_tracker is stateful: one per worker,
//   fed the frames of one video in order.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "facemirror/landmarks/pdm.h"
#include "facemirror/types.h"

namespace facemirror {

struct clnf_fit_options {
  /// Search window (response map side, reference-frame pixels) per patch scale, coarse to
  /// fine; 0 skips that scale.
  std::vector<int> window_sizes{11, 9, 7};
  /// Every scale with a window runs, however small the face (OpenFace's main model does not
  /// skip the finer experts; only the part models wait for a face at least 0.9x their first
  /// scale). The fit stops as failed (clnf_fit_result::face_too_small) when after a scale the
  /// PDM scale is below this: OpenFace's "face too small for landmark detection", a face of
  /// about 35 px across. 0 never stops.
  double min_face_scale = 0.25;
  double sigma = 1.5;          // mean-shift Gaussian kernel standard deviation (reference px)
  double reg_factor = 25.0;    // weight of the PDM prior (divided by each eigenvalue)
  double weight_factor = 0.0;  // > 0: NU-RLMS, landmarks weighted by their expert's confidence
  int iterations = 5;          // per rigid and per non-rigid stage, per scale
  /// Lower the regularisation and widen the kernel at finer scales (OpenFace's
  /// refine_parameters): reg - 15 log2(s/0.25), sigma + 0.25 log2(s/0.25).
  bool adapt_per_scale = true;
  bool refine_parts = true;      // run the hierarchical inner-face / eye part models
  bool limit_pose = true;        // clamp rotations to [-pi/2, pi/2]
  double convergence_px = 0.01;  // stop a stage when the shape moves less than this (L2, px)

  /// From a detection or external estimate: all three scales (OpenFace's window_sizes_init).
  [[nodiscard]] static clnf_fit_options detection() { return {}; }
  /// From the previous frame's fit: skip the coarsest scale (OpenFace's window_sizes_small).
  [[nodiscard]] static clnf_fit_options tracking() {
    clnf_fit_options o;
    o.window_sizes = {0, 9, 7};
    return o;
  }
};

/// One part model's fit (OpenFace's hierarchical models: inner face, the two 28-point eyes).
struct clnf_part_fit {
  std::vector<cv::Point2d> landmarks;  // projection of `params` (image pixels)
  pdm_params params;                   // the part PDM's own global and local parameters
  /// The part PDM's shape for params.local in model space (mean + V * local, unrotated,
  /// unscaled): with `params` and the camera it places the part in 3-D (eye_lmk_X/Y/Z).
  std::vector<cv::Point3d> model_shape;
};

struct clnf_fit_result {
  landmarks_2d landmarks{};  // projection of `params` (OpenFace's x_*, y_*)
  pdm_params params;         // OpenFace's p_scale, p_r*, p_t*, p_0..p_33
  bool converged = false;    // the last non-rigid stage met convergence_px
  /// The face shrank below clnf_fit_options::min_face_scale: the fit stopped there and is a
  /// failure whatever it looks like (OpenFace reports it with certainty 0, unvalidated).
  bool face_too_small = false;
  /// Mean over visible landmarks of the log of the final-scale response, Gaussian-weighted
  /// around the position of the last mean-shift step (the one before the last update, as
  /// OpenFace measures it): higher is a better fit; only comparable between fits of one model.
  double likelihood = 0.0;
  /// Each part model's fit, in model order (clnf_model::part_names(); OpenFace's eye_lmk_* are
  /// the two 28-point eye parts). A part the face is too small for keeps its PDM fitted to the
  /// main model's points there, unrefined (what OpenFace reports for it); all parts are empty
  /// when the main fit stopped as face_too_small or options.refine_parts is off.
  std::vector<clnf_part_fit> parts;
};

class clnf_model {
 public:
  /// Loads main_clnf_general.txt (or another OpenFace CLNF "main" file) and everything it
  /// names. Throws facemirror::error(model_format) naming the offending file.
  [[nodiscard]] static std::shared_ptr<const clnf_model> load(
      const std::filesystem::path& main_file);

  clnf_model(const clnf_model&) = delete;
  clnf_model& operator=(const clnf_model&) = delete;
  ~clnf_model();

  [[nodiscard]] const point_distribution_model& pdm() const;

  /// The part models' names in file order (clnf_fit_result::parts follows it), e.g. "inner",
  /// "left_eye_28", "right_eye_28" for main_clnf_general.txt.
  [[nodiscard]] std::vector<std::string> part_names() const;

  /// Fits from `init` (e.g. pdm().fit(estimate) or the previous frame's params).
  /// `grey` is 8-bit or float single-channel. init.scale <= 0 throws error(invalid_argument).
  [[nodiscard]] clnf_fit_result fit(const cv::Mat& grey, const pdm_params& init,
                                    const clnf_fit_options& options = {}) const;

  /// The hierarchical part models on a main-model fit made with refine_parts off: fills
  /// `fit.parts` and moves its landmarks and params to the refined parts, exactly as fit() with
  /// refine_parts on would have (the main model's likelihood is unchanged). Does nothing after a
  /// face_too_small fit.
  void refine_parts(const cv::Mat& grey, clnf_fit_result& fit) const;

  struct impl;  // internal (src/landmarks/clnf_internal.h)
  [[nodiscard]] const impl& internals() const { return *impl_; }

 private:
  explicit clnf_model(std::unique_ptr<impl> p);
  void refine_parts_of(const cv::Mat& image, clnf_fit_result& fit) const;  // image: sampled
  std::unique_ptr<impl> impl_;
};

/// OpenFace's PDM::CalcParams from a face box: the PDM mean shape (zero local parameters)
/// rotated by `rotation` (Euler rx, ry, rz), scaled by the mean of box.width / shape width and
/// box.height / shape height (the rotated shape's x and y extents) and translated so that the
/// centre of its extent lies on the centre of the box. Returns scale 0 for an empty box.
[[nodiscard]] pdm_params clnf_params_in_box(const point_distribution_model& pdm,
                                            const cv::Rect2d& box,
                                            const cv::Vec3d& rotation = cv::Vec3d());

/// The head rotations OpenFace 2.2 tries when it starts its landmark model from a face box
/// after a detection (DetectLandmarksInImage, multi_view): frontal first, then yaw +-30 and
/// +-55 degrees, roll +-30, yaw +-90 and yaw +-70 combined with roll -+40 degrees.
[[nodiscard]] const std::vector<cv::Vec3d>& clnf_box_rotations();

struct clnf_tracker_options {
  clnf_fit_options detection = clnf_fit_options::detection();
  clnf_fit_options tracking = clnf_fit_options::tracking();
  /// Follow the previous CLNF fit instead of re-initialising from each external estimate.
  bool track = true;
  /// Re-initialise from the external estimate when the tracked shape has drifted this far from
  /// it (mean landmark distance over the face size, i.e. the PDM scale * 100 px).
  double max_drift = 0.15;
  /// follow() starts every fit this many float ulps away from the previous one (its tx and ty,
  /// rounded to float, stepped k ulps up and down): one draw of the rounding that decides where
  /// a tracked fit settles (docs/fidelity_notes.md, sessions 22-23). 0 (the default) starts
  /// exactly from the previous fit, as OpenFace does; engine_options::consensus_tracks tracks a
  /// video once per draw.
  int start_offset_ulps = 0;
};

class clnf_tracker {
 public:
  explicit clnf_tracker(std::shared_ptr<const clnf_model> model, clnf_tracker_options options = {});

  /// Refines `estimate` (8-bit BGR/BGRA/grey frame): from the previous fit when tracking and it
  /// still agrees with the estimate, otherwise from pdm().fit(estimate) with all scales.
  [[nodiscard]] clnf_fit_result refine(const cv::Mat& frame, const landmarks_2d& estimate);

  /// Fits from the previous fit (which the validator may have rejected: OpenFace's video mode
  /// keeps fitting from it), and keeps the result as the fit to follow next. With the tracking
  /// options after a frame the validator accepted; after one it rejected (`after_failure`),
  /// with the detection options, as OpenFace widens its search windows to window_sizes_init
  /// there. Needs tracking().
  [[nodiscard]] clnf_fit_result follow(const cv::Mat& frame, bool after_failure = false);

  /// The fit the next follow() starts from (valid while tracking()).
  [[nodiscard]] const pdm_params& previous() const { return previous_; }

  /// Makes `params` the fit to follow next (OpenFace restores its tracked fit when a
  /// re-detection's fit is rejected). A scale <= 0 forgets any fit, as reset() does.
  void resume(const pdm_params& params) {
    previous_ = params;
    has_previous_ = params.scale > 0;
  }

  /// Fits from pdm().fit(estimate) with the detection options (all scales), forgetting any
  /// previous fit. An estimate the PDM cannot fit gives scale 0 and no fit to follow.
  [[nodiscard]] clnf_fit_result start(const cv::Mat& frame, const landmarks_2d& estimate);

  /// Starts from a face box as OpenFace does after a detection: for each of `rotations`, the
  /// mean shape placed in `box` (clnf_params_in_box) is fitted with the detection options,
  /// and the fit with the highest likelihood is kept (the first one on a tie). The next
  /// refine() follows it. An empty box or rotation list gives a result with scale 0 (and no
  /// fit to follow).
  [[nodiscard]] clnf_fit_result start_in_box(
      const cv::Mat& frame, const cv::Rect2d& box,
      const std::vector<cv::Vec3d>& rotations = clnf_box_rotations());

  /// The frame had no face: the next refine() starts from its estimate.
  void reset() { has_previous_ = false; }

  /// Sets clnf_tracker_options::start_offset_ulps for the fits from now on.
  void set_start_offset_ulps(int ulps) { options_.start_offset_ulps = ulps; }

  /// A previous fit exists that the next refine() may follow.
  [[nodiscard]] bool tracking() const { return has_previous_; }

  /// What the tracker carries from one frame to the next. restore() of another tracker's
  /// state (same model and options) makes it continue exactly as that tracker would.
  struct state {
    bool has_previous = false;
    pdm_params previous;
  };
  [[nodiscard]] state save() const { return {has_previous_, previous_}; }
  void restore(state s) {
    has_previous_ = s.has_previous;
    previous_ = std::move(s.previous);
  }

 private:
  std::shared_ptr<const clnf_model> model_;
  clnf_tracker_options options_;
  bool has_previous_ = false;
  pdm_params previous_;
  cv::Mat grey_;  // reused conversion buffer; never shares a caller's pixels

  /// `frame` as a single-channel image: grey_ holding its conversion, or `frame` itself when
  /// it is grey (valid while `frame` is).
  const cv::Mat& grey(const cv::Mat& frame);
};

}  // namespace facemirror

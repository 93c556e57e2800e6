#pragma once
// The per-frame chain (track -> PDM fit -> pose -> AU features) with no knowledge of threads:
// the engine runs it inside workers, each with its own tracker.

#include <memory>
#include <optional>

#include "facemirror/au/au_engine.h"
#include "facemirror/landmarks/clnf.h"
#include "facemirror/landmarks/detection_validator.h"
#include "facemirror/landmarks/face_tracker.h"
#include "facemirror/landmarks/pdm.h"
#include "facemirror/models/model_paths.h"
#include "facemirror/output/csv_writer.h"

namespace facemirror::detail {

/// Read-only model data, loaded once per run and shared by every worker.
struct shared_models {
  shared_models(const model_paths& paths, bool compute_aus, bool static_aus, bool use_clnf);

  std::shared_ptr<const landmark_model> landmarks;
  std::shared_ptr<const clnf_model> clnf;                // null when landmarks come from dlib alone
  std::shared_ptr<const detection_validator> validator;  // with CLNF: OpenFace's success test
  std::shared_ptr<const point_distribution_model> pdm;
  std::shared_ptr<const au_model_set> aus;                // null when AUs are off
  std::shared_ptr<const au_feature_extractor> extractor;  // null when AUs are off
};

/// One frame's worker-side result: its CSV fields except the AUs, and the AU features that the
/// in-order stage turns into AU values.
struct analysed_frame {
  frame_record record;
  std::optional<au_features> features;
};

/// A worker's landmark state for one video, as OpenFace's video mode keeps it. With CLNF: the
/// fit follows the face from the previous frame and the detection validator decides whether it
/// is still a face (success, confidence); only when it is not does dlib detect the face again
/// (largest face, as OpenFace) and CLNF restart from dlib's landmarks. Without CLNF: dlib's
/// tracker alone.
class landmark_session {
 public:
  landmark_session(const shared_models& models, const face_tracker_options& options);

  /// Landmarks of the next frame. `clnf_params` receives the CLNF fit's parameters (OpenFace's
  /// p_* columns) when CLNF is on and a face was found.
  [[nodiscard]] face_observation observe(const cv::Mat& bgr,
                                         std::optional<pdm_params>& clnf_params);

  /// As observe(), but a lost face restarts from an outside estimate instead of a detection:
  /// the mirrored faces restart from the source face's landmarks reflected. An estimate
  /// without success means there is no face. Without CLNF this is observe(bgr, ...).
  [[nodiscard]] face_observation observe_from(const cv::Mat& bgr, const face_observation& estimate,
                                              std::optional<pdm_params>& clnf_params);

  /// A new video or segment: forget the previous face.
  void reset();

 private:
  /// Follows the previous fit; true (and `seen` filled) when the validator accepts it.
  bool follow(const cv::Mat& bgr, face_observation& seen, std::optional<pdm_params>& params);
  /// Restarts CLNF from `estimate` and validates the fit.
  face_observation restart(const cv::Mat& bgr, const landmarks_2d& estimate,
                           std::optional<pdm_params>& params);
  /// Fills `seen` from a fit and the validator's verdict on it.
  void judge(const cv::Mat& bgr, clnf_fit_result& fit, face_observation& seen,
             std::optional<pdm_params>& params);

  face_tracker tracker_;
  std::optional<clnf_tracker> clnf_;
  std::shared_ptr<const detection_validator> validator_;
  landmarks_2d last_{};  // the last accepted CLNF landmarks, reported while the face is lost
};

/// `estimate`, when given, replaces the session's own detection (landmark_session::observe_from).
[[nodiscard]] analysed_frame analyse_frame(const video_frame& frame, landmark_session& landmarks,
                                           const shared_models& models,
                                           const camera_intrinsics& camera,
                                           const face_observation* estimate = nullptr);

}  // namespace facemirror::detail

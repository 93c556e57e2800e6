#pragma once
// A face followed through a video by OpenFace 2.2's video-mode rules, frame by frame, and the
// model data every such session shares.
//
// WHAT THIS REPRESENTS
//   analysis_models: every model the per-frame chain needs (landmarks, CLNF, validator, MTCNN,
//   PDM, AU models), loaded once per run.
//   landmark_session: one video's landmark state (OpenFace's tracking rules, below).
//   analyse_frame: one frame through the chain (track -> PDM fit -> pose -> AU features): the
//   fields of its CSV row except the AU values, which need the video's frames in order
//   (au_video_predictor). video_session (video_session.h) puts the two together for a caller
//   with one thread; the parallel engine runs analyse_frame in its workers and the predictor in
//   its in-order stage.
//
// UNITS
//   Pixels of the frame for 2-D landmarks; millimetres in camera space for 3-D ones; radians.
//
// THREAD SAFETY
//   analysis_models is immutable after construction: share one between threads.
//   landmark_session is stateful: one per thread, fed one video's frames in order.
//
// ERRORS
//   analysis_models' constructor throws facemirror::error (model_format, io) naming the file.

#include <memory>
#include <optional>

#include "facemirror/align/face_aligner.h"
#include "facemirror/au/au_engine.h"
#include "facemirror/detect/mtcnn_detector.h"
#include "facemirror/gaze/gaze.h"
#include "facemirror/landmarks/clnf.h"
#include "facemirror/landmarks/detection_validator.h"
#include "facemirror/landmarks/face_tracker.h"
#include "facemirror/landmarks/pdm.h"
#include "facemirror/models/model_paths.h"
#include "facemirror/output/csv_writer.h"

namespace facemirror {

/// Where CLNF starts from when it has no fit to follow (a video's or segment's first face, or
/// after the validator rejected the fit).
enum class clnf_start {
  /// OpenFace 2.2's initialisation (the default): an MTCNN face box, corrected to CLNF's
  /// convention (mtcnn_box_to_clnf), the PDM mean shape placed in it under OpenFace's eleven
  /// rotation hypotheses, the most likely fit kept. A new face is the one dlib's detector
  /// accepts (so face_tracker_options::acquire_score applies), located by MTCNN, or where dlib
  /// finds none (faces under ~80 px) MTCNN's widest face in the frame, as OpenFace chooses
  /// (unless acquire_score is stricter than its default); a
  /// lost face is re-found by MTCNN near where it was lost, as OpenFace re-detects. Falls back
  /// to dlib_landmarks where MTCNN finds no such face. Reproduces OpenFace's first fitted frame
  /// to its CSV rounding; needs model/mtcnn_detector/{PNet,RNet,ONet}.dat.
  mtcnn_box,
  /// dlib's HOG detection and 68-point shape predictor; CLNF starts from pdm().fit() of them.
  dlib_landmarks,
};

/// OpenFace 2.2's video mode (FaceModelParameters::reinit_video_every): while the validator
/// rejects the tracked fit, the face is detected again on the first rejected frame and then on
/// every this many (the 1st, 3rd, 5th... failure in a row).
inline constexpr int openface_reinit_every = 2;
/// After more failures in a row than this, OpenFace stops tracking the face (its
/// tracking_initialised is cleared) and only looks for it on every 6 * openface_reinit_every
/// frames.
inline constexpr int openface_max_failures = 100;

/// Read-only model data, loaded once per run and shared by every worker. The constructor first
/// checks the OpenFace files against their checksums (verify_model_checksums: a damaged file
/// throws error(model_format) naming it).
struct analysis_models {
  analysis_models(const model_paths& paths, bool compute_aus, bool static_aus, bool use_clnf,
                  clnf_start start = clnf_start::mtcnn_box);

  std::shared_ptr<const landmark_model> landmarks;
  std::shared_ptr<const clnf_model> clnf;                // null when landmarks come from dlib alone
  std::shared_ptr<const detection_validator> validator;  // with CLNF: OpenFace's success test
  /// With CLNF and clnf_start::mtcnn_box: OpenFace's MTCNN (stateless, shared by all workers).
  std::shared_ptr<const mtcnn_detector> mtcnn;
  std::shared_ptr<const point_distribution_model> pdm;
  std::shared_ptr<const au_model_set> aus;                // null when AUs are off
  std::shared_ptr<const au_feature_extractor> extractor;  // null when AUs are off
  /// analyse_frame keeps each frame's aligned face (analysed_frame::aligned_face) for
  /// OpenFace's aligned-face output; off, the face is dropped once its HOG is taken.
  bool keep_aligned_faces = false;
  /// With keep_aligned_faces: the face kept is aligned by this aligner instead (OpenFace's
  /// -simscale/-simsize), unmasked unless `output_masked` (-nomask), black for a frame without
  /// a face. Null: the AU features' own face. The AU features never change.
  std::shared_ptr<const face_aligner> output_aligner;
  bool output_masked = true;
};

/// One frame's worker-side result: its CSV fields except the AUs, and the AU features that the
/// in-order stage turns into AU values.
struct analysed_frame {
  frame_record record;
  std::optional<au_features> features;
  /// With analysis_models::keep_aligned_faces: the face `features` describe (empty otherwise).
  cv::Mat aligned_face{};
  /// The decoder's mark on the frame (video_frame::damage): what the engine's results list.
  frame_damage damage = frame_damage::none;
};

/// A worker's landmark state for one video, as OpenFace's video mode keeps it. With CLNF: the
/// fit follows the face from the previous frame and the detection validator decides whether it
/// is still a face (success, confidence). A rejected fit is still the one followed on the next
/// frame (with the wider search windows) and is what the frame reports (landmarks, p_*, pose),
/// as OpenFace writes it. On the 1st, 3rd, 5th... rejection in a row (openface_reinit_every)
/// the face is detected again: MTCNN's widest face in the whole frame, CLNF started in its box
/// (OpenFace's eleven start rotations); that fit replaces the tracked one only if the validator
/// accepts it (the frame then reports the re-detection's confidence either way). After
/// openface_max_failures rejections in a row the face is given up and looked for on every
/// 6 * openface_reinit_every frames. A video's first face is chosen by dlib's detector and
/// located by MTCNN (clnf_start); without MTCNN, dlib's detector and landmarks restart CLNF.
/// Without CLNF: dlib's tracker alone.
/// A mirrored face (the mirror job's, or a video it wrote) is tracked by the same rules, as
/// OpenFace tracks it when S1's users run it on a mirrored video.
class landmark_session {
 public:
  landmark_session(const analysis_models& models, const face_tracker_options& options);

  /// Landmarks of the next frame. `clnf_params` receives the CLNF fit's parameters (OpenFace's
  /// p_* columns) when CLNF is on and a face was found.
  [[nodiscard]] face_observation observe(const cv::Mat& bgr,
                                         std::optional<pdm_params>& clnf_params);

  /// A new video or segment: forget the previous face.
  void reset();

  /// clnf_tracker_options::start_offset_ulps of the fits from now on (no effect without CLNF).
  void set_start_offset_ulps(int ulps) {
    if (clnf_)
      clnf_->set_start_offset_ulps(ulps);
  }

  /// The eye part models' fits that go with the reported landmarks (unfitted without CLNF or
  /// before any fit).
  [[nodiscard]] const eye_pair& eyes() const { return eyes_; }

  /// Everything observe() carries from one frame to the next. A session that restore()s
  /// another's state (same models and options) continues that session's track exactly: the
  /// engine hands a video's track over from one segment to the next with it.
  struct state {
    face_tracker::state tracker;
    clnf_tracker::state clnf;
    landmarks_2d last{};
    bool tracking = false;
    int64_t failures = -1;
    bool accepted = false;
    std::optional<pdm_params> fit_params;
    double confidence = 0.0;
    eye_pair eyes{};
  };
  [[nodiscard]] state save() const;
  void restore(const state& s);

 private:
  /// The natural face's frame (OpenFace's video-mode rules, see the class comment).
  face_observation observe_natural(const cv::Mat& bgr, std::optional<pdm_params>& clnf_params);
  /// OpenFace's re-detection of a tracked face the validator rejected on this frame: `seen`
  /// holds the rejected tracked fit, which stays unless the re-detection's fit is accepted.
  void redetect(const cv::Mat& bgr, face_observation& seen);
  /// Makes `fit` the frame's reported (and followed) fit with the validator's verdict.
  void take(clnf_fit_result& fit, const detection_check& check, face_observation& seen);
  /// The validator's verdict on a CLNF fit.
  [[nodiscard]] detection_check validate(const cv::Mat& bgr, const clnf_fit_result& fit) const;

  /// Restarts CLNF from `estimate` and validates the fit.
  face_observation restart(const cv::Mat& bgr, const landmarks_2d& estimate,
                           std::optional<pdm_params>& params);
  /// The corrected (mtcnn_box_to_clnf) MTCNN box of a face whose centre lies within `radius`
  /// of `at`: the widest such face (OpenFace's choice) or the nearest one.
  [[nodiscard]] std::optional<cv::Rect2d> mtcnn_face(const cv::Mat& bgr, cv::Point2d at,
                                                     double radius, bool widest) const;
  /// OpenFace's start: CLNF from a face box (clnf_tracker::start_in_box), then validated.
  /// False when no fit could be made.
  bool restart_in_box(const cv::Mat& bgr, const cv::Rect2d& box, face_observation& seen,
                      std::optional<pdm_params>& params);
  /// `seen` (keeping any rejected fit's confidence) as a frame without a face: OpenFace reports
  /// the last accepted landmarks there.
  [[nodiscard]] face_observation no_face(face_observation seen) const;
  /// Fills `seen` from a fit and the validator's verdict on it.
  void judge(const cv::Mat& bgr, clnf_fit_result& fit, face_observation& seen,
             std::optional<pdm_params>& params);

  face_tracker tracker_;
  std::optional<clnf_tracker> clnf_;
  std::shared_ptr<const detection_validator> validator_;
  std::shared_ptr<const mtcnn_detector> mtcnn_;  // null: restart from dlib's landmarks
  /// MTCNN may pick a new face dlib's detector does not see; not when a stricter
  /// face_tracker_options::acquire_score than the default asks for faces dlib is sure of.
  bool mtcnn_new_faces_ = true;
  landmarks_2d last_{};  // the last accepted CLNF landmarks, reported while the face is lost
  // OpenFace's tracking state: a face is being tracked (tracking_initialised),
  // its fits rejected in a row minus one (failures_in_a_row: -1 after an accepted frame), the
  // previous frame's verdict (detection_success) and the fit the frames report (p_*).
  bool tracking_ = false;
  int64_t failures_ = -1;
  bool accepted_ = false;
  std::optional<pdm_params> fit_params_;
  double confidence_ = 0.0;  // the last verdict's certainty, reported while no fit is made
  std::vector<std::string> part_names_;  // the CLNF model's part names (eye_parts_of)
  eye_pair eyes_{};                      // the eye parts of the reported fit
};

/// Landmarks, pose and AU features of one frame, as one CSV row needs them.
[[nodiscard]] analysed_frame analyse_frame(const video_frame& frame, landmark_session& landmarks,
                                           const analysis_models& models,
                                           const camera_intrinsics& camera);

}  // namespace facemirror

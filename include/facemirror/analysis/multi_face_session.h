#pragma once
// Several faces followed through one video, as OpenFace 2.2's FaceLandmarkVidMulti follows them.
//
// WHAT THIS REPRESENTS
//   multi_face_session: up to max_faces face trackers ("slots") over one video's frames in
//   order. On every detect_every-th frame (0-based index divisible by it) on which some slot is
//   free, MTCNN looks for faces in the whole frame; a detection whose corrected box
//   (mtcnn_box_to_clnf) overlaps a tracked face's landmark box by more than new_face_overlap
//   (intersection over union) is that face, and each free slot, in slot order, takes the next
//   remaining detection in MTCNN's order: CLNF starts in its box from the frontal pose with the
//   wide search windows. A tracked slot follows its face from the previous frame's fit (wide
//   windows after a rejected frame) and the detection validator judges every fit (success,
//   confidence); unlike single-face tracking (landmark_session) a rejected face is never
//   re-detected: after more than max_failures rejections in a row the slot is freed at the
//   start of the next frame (a lost face has max_failures + 2 unsuccessful rows) and may take a
//   new detection on that same frame. Two slots whose landmark boxes overlap by more than
//   same_face_overlap follow one face: the earlier slot is freed at the start of the next frame.
//   Each frame gives one row per occupied slot, in slot order, with frame_record::face_id = the
//   slot; the row is written whatever the validator says (landmarks, pose, p_* of the fit
//   followed), gaze only on successful rows, AUs from OpenFace's static models on every row
//   (FaceLandmarkVidMulti has no person-specific normalisation and no post-processing: a slot's
//   face may change when the slot is reused).
//   These are FaceLandmarkVidMulti's rules as measured on its CSV of multi_face.avi
//   (reference/openface22/FaceLandmarkVidMulti): new faces appear only on frames 8k+1 (1-based),
//   a lost face's last 6 rows are unsuccessful, a detection overlapping a tracked face by
//   IoU 0.436 or more started no tracker and one by 0.396 or less did (hence 0.4). OpenFace freed
//   a tracker that followed another's face twice in that video by a rule not identified; its
//   coexisting trackers never overlapped by more than IoU 0.485 there, so same_face_overlap
//   (0.7) only frees slots whose fits have merged (which OpenFace's never show).
//
// UNITS
//   As frame_record: pixels, millimetres in camera space, radians, seconds.
//
// THREAD SAFETY
//   One session per video and thread; sessions share their (immutable) analysis_models. Its
//   values depend on nothing but the frames: the engine runs a multi-face video as one unit.
//
// ERRORS
//   The constructor throws error(invalid_argument) when the models lack CLNF, the validator or
//   MTCNN, when the AU models are not the static ones, or when an option is out of range.
//   track() throws error(invalid_argument) on an empty frame, one not 8-bit of 1, 3 or 4
//   channels, or a timestamp that is not finite or is earlier than the previous frame's
//   (equal is fine). A frame refused is not tracked; the session goes on with the next.
//   A frame may differ in size from the one before, as a frame folder's images may: it is
//   tracked in its own pixels with the first frame's camera, as OpenFace 2.2 reads -fdir.

#include <memory>
#include <optional>
#include <vector>

#include "facemirror/analysis/landmark_session.h"
#include "facemirror/output/csv_writer.h"

namespace facemirror {

struct multi_face_options {
  int max_faces = 4;     // FaceLandmarkVidMulti's number of trackers (at least 1)
  int detect_every = 8;  // frames between face detections (at least 1)
  int max_failures = 4;  // a slot is freed after more rejected fits in a row than this
  /// A detection overlapping a tracked face's landmark box by more than this (intersection over
  /// union) is that face, not a new one.
  double new_face_overlap = 0.4;
  /// Two slots whose landmark boxes overlap by more than this follow one face.
  double same_face_overlap = 0.7;
};

class multi_face_session {
 public:
  /// `models` loaded with CLNF and MTCNN (clnf_start::mtcnn_box) and, for AUs, the static AU
  /// models. `camera`: the video's intrinsics, or OpenFace's guess from the first frame's size.
  explicit multi_face_session(std::shared_ptr<const analysis_models> models,
                              multi_face_options options = {},
                              std::optional<camera_intrinsics> camera = std::nullopt);
  ~multi_face_session();
  multi_face_session(multi_face_session&&) noexcept;
  multi_face_session& operator=(multi_face_session&&) noexcept;

  /// The next frame in presentation order (8-bit BGR, BGRA or grey; `timestamp_s` seconds from
  /// the video's start; its index is the count of frames tracked before it): one row per
  /// tracked face, in face_id order (empty when no face is tracked).
  [[nodiscard]] std::vector<frame_record> track(const cv::Mat& bgr, double timestamp_s);

  /// Forgets every face: the next track() is frame 0 of a new video.
  void reset();

  [[nodiscard]] int64_t frames_tracked() const { return next_index_; }

 private:
  struct slot;
  std::shared_ptr<const analysis_models> models_;
  multi_face_options options_;
  std::optional<camera_intrinsics> given_camera_;
  std::optional<camera_intrinsics> camera_;
  std::vector<slot> slots_;
  int64_t next_index_ = 0;
  double last_timestamp_s_ = 0;
};

}  // namespace facemirror

#pragma once
// One video's faces followed frame by frame, on the caller's thread: FeatureExtraction's whole
// per-video computation behind one object.
//
// WHAT THIS REPRESENTS
//   video_session::track: the next frame through OpenFace's video-mode tracking rules
//   (landmark_session) and the per-frame chain (analyse_frame); returns that frame's row
//   without AU values, which OpenFace only knows at the end of the video (the person-specific
//   running median and the offline post-processing pass look at later frames).
//   video_session::finish: the AU values of every frame tracked since the start (or the last
//   finish), post-processed as OpenFace writes them, and a fresh start for the next video.
//   The parallel engine computes the same rows for a whole batch on every core (engine.h); this
//   class is for a caller with its own frame source (a camera, frames already in memory).
//
// UNITS
//   As frame_record: pixels, millimetres in camera space, radians, seconds.
//
// THREAD SAFETY
//   One session per video and thread; sessions share their (immutable) analysis_models.
//
// ERRORS
//   The constructor throws error(invalid_argument) without CLNF models; track() throws
//   error(invalid_argument) on an empty frame, one not 8-bit of 1, 3 or 4 channels, or a
//   timestamp that is not finite or is earlier than the previous frame's (equal is fine: a
//   frame folder's are all 0). A frame refused is not tracked; the session goes on with the
//   next. A frame may differ in size from the one before, as a frame folder's images may: it
//   is tracked in its own pixels with the first frame's camera, as OpenFace 2.2 reads -fdir.

#include <memory>
#include <optional>
#include <vector>

#include "facemirror/analysis/landmark_session.h"
#include "facemirror/au/au_engine.h"
#include "facemirror/output/csv_writer.h"

namespace facemirror {

class video_session {
 public:
  /// `camera`: the video's intrinsics (checked: camera_intrinsics::check()), or OpenFace's guess
  /// from the first frame's size.
  explicit video_session(std::shared_ptr<const analysis_models> models,
                         std::optional<camera_intrinsics> camera = std::nullopt,
                         const face_tracker_options& tracking = {});

  /// The next frame in presentation order (8-bit BGR, BGRA or grey; `timestamp_s` seconds
  /// from the video's start). Its index is the count of frames tracked before it.
  [[nodiscard]] frame_record track(const cv::Mat& bgr, double timestamp_s);

  /// OpenFace's AU values (au_model_set order) of every frame tracked since the start, in
  /// frame order; empty without AU models. Then starts over: the next track() is a new video.
  [[nodiscard]] std::vector<au_values> finish();

  [[nodiscard]] int64_t frames_tracked() const { return next_index_; }

 private:
  std::shared_ptr<const analysis_models> models_;
  std::optional<camera_intrinsics> given_camera_;
  std::optional<camera_intrinsics> camera_;
  landmark_session landmarks_;
  std::optional<au_video_predictor> aus_;
  int64_t next_index_ = 0;
  double last_timestamp_s_ = 0;
};

}  // namespace facemirror

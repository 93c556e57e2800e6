#pragma once
// One worker's session and the loop that analyses one segment. No threads here; thread and
// process executors both drive it.
//
// WHAT IS WHOSE
//   Owned by the session, never shared: the decoder (video_reader), the dlib detectors and
//   trackers, the CLNF tracking state, the midline smoother, the segment encoders and all
//   scratch buffers. Read-only and shared: shared_models (dlib predictor, PDM, CLNF patch
//   experts, AU models), loaded once per run; worker threads share them in memory, worker
//   processes inherit them copy-on-write from the parent (loaded before the fork).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "facemirror/io/segment_video.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/pipeline/engine.h"

#include "frame_analysis.h"

namespace facemirror::detail {

struct segment_task {
  size_t video = 0;
  int64_t segment = 0;
  int64_t first_frame = 0;
  int64_t end_frame = 0;  // exclusive
  int attempt = 0;        // 0 first try, 1 the retry after a crash, hang or error
};

/// Test-only fault injection, to prove a crashing or hanging worker cannot take the batch down.
/// Spec "KIND@STEM#SEGMENT[@once]" with KIND crash|hang|throw (e.g. "crash@clip#1@once").
struct fault_plan {
  enum class kind { none, crash, hang, fail } what = kind::none;
  std::string stem;
  int64_t segment = -1;
  bool first_attempt_only = false;

  [[nodiscard]] static fault_plan parse(const std::string& spec);
  /// Crashes, hangs or throws when `task` of the video `stem` is the one planned.
  void trigger(const std::string& video_stem, const segment_task& task) const;
};

/// What a worker hands to the in-order stage for one segment.
struct segment_output {
  std::vector<std::vector<analysed_frame>> tables;  // one per output CSV, frames in order
  std::vector<encoded_chunk> videos;                // one per output video (mirror jobs)
  int64_t face_frames = 0;                          // frames of the segment with a face
};

class worker_session {
 public:
  worker_session(const shared_models& models, const engine_options& options);

  /// Frames [first_frame, end_frame) of `info`, after `warmup_frames` of tracker warm-up,
  /// tracking faces of the given kind. `on_frame` runs after every analysed frame; returning
  /// false aborts (throws "interrupted").
  [[nodiscard]] segment_output analyse(const video_info& info, const segment_task& task,
                                       int warmup_frames, face_kind faces,
                                       const std::function<bool()>& on_frame);

  /// The S1 mirror job on the same segment: tables {right, left} when AUs are on, videos
  /// {right, left, debug} plus the upright source when the input is rotated. The tables come
  /// from the mirrored videos' encoded frames, decoded in memory, tracked from the segment's
  /// first frame without warm-up (see mirror_outputs_for).
  [[nodiscard]] segment_output mirror(const video_info& info, const segment_task& task,
                                      int warmup_frames, const std::function<bool()>& on_frame);

  /// Drops the decoder (after an error its state is unknown).
  void forget_reader();

 private:
  video_reader& open_at(const video_info& info, int64_t index);
  [[nodiscard]] static video_frame next_frame(video_reader& reader, const video_info& info,
                                              int64_t index);

  const shared_models& models_;
  face_tracker_options tracker_options_;
  int mirror_crf_;
  landmark_session landmarks_;
  // The mirrored faces are tracked like independent videos (created on first mirror job).
  std::optional<landmark_session> right_, left_;
  std::filesystem::path reader_path_;
  std::optional<video_reader> reader_;
};

}  // namespace facemirror::detail

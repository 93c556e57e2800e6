#pragma once
// One worker's session and the loop that analyses one segment. No threads here; thread and
// process executors both drive it.
//
// WHAT IS WHOSE
//   Owned by the session, never shared: the decoder (video_reader), the dlib detectors and
//   trackers, the CLNF tracking state, the midline smoother, the segment encoders and all
//   scratch buffers. Read-only and shared: analysis_models (dlib predictor, PDM, CLNF patch
//   experts, AU models), loaded once per run; worker threads share them in memory, worker
//   processes inherit them copy-on-write from the parent (loaded before the fork).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "facemirror/analysis/landmark_session.h"
#include "facemirror/io/segment_video.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/pipeline/engine.h"

namespace facemirror::detail {

/// How a segment's track continues the video's track. Every segment is first tracked from a
/// cold start (after warm-up frames before it), in parallel with the others. The in-order stage
/// then checks whether that cold track agrees with the track that came through the previous
/// segment at the last warm-up frame (tracks_agree); where it does not, the previous track is
/// carried on into the segment (a carried task, from its saved state) until it agrees with the
/// cold track, and only from there on is the cold track used. The video's track is then the
/// one continuous tracking gives, up to the agreement tolerance, whatever the segment layout;
/// and since every decision depends only on the layout, the bytes do not depend on the worker
/// count or isolation mode.
struct handover {
  landmark_session::state state;          // the previous track's state after first_frame - 1
  std::vector<analysed_frame> before;     // its last frames (mirror jobs smooth midlines over them)
  std::vector<analysed_frame> reference;  // the segment's cold track, first_frame onwards
                                          // (empty: a chained video's, never handed over)
};

struct segment_task {
  size_t video = 0;
  int64_t segment = 0;
  /// Positions among the video's analysed frames: position i is the container's frame
  /// i * frame_stride (engine_options::frame_stride; 1 for a mirror job and its faces).
  int64_t first_frame = 0;
  int64_t end_frame = 0;  // exclusive
  int frame_stride = 1;
  int attempt = 0;  // 0 first try, 1 the retry after a crash, hang or error
  /// Set for a carried task: continue the previous track from its state (see handover).
  std::shared_ptr<const handover> carried;
  /// A video the batch probed after the workers started (the mirror job's mirrored videos):
  /// its path, for a worker process whose copy of the batch predates the probe.
  std::string late_input;
  /// Every followed CLNF fit starts this many float ulps away (clnf_tracker_options): the
  /// video's draw of engine_options::consensus_tracks, else tracked_start_offset_ulps.
  int start_offset_ulps = 0;
};

/// Whether two tracks of one video are interchangeable at a frame: both follow a face and
/// their landmarks lie within `tolerance_px` of each other (mean distance), or neither has seen
/// a face yet. Then either track's continuation is a continuous track of the video.
[[nodiscard]] bool tracks_agree(const frame_record& a, const frame_record& b, double tolerance_px);
/// The handover tolerance of a video whose landmarks are the output (aus): well below the CSV's
/// 0.1 px landmark precision and OpenFace's agreement with itself (0.02-0.04 px).
inline constexpr double handover_max_px = 0.01;
/// The mirror job's source face only places the midline (smoothed over 5 frames), and its
/// segments are fixed (mirror_chunk_frames), so its track is the same whatever the options: a
/// cold start within the CSV's precision of the track that came through is taken as it is.
/// Only a cold start that settled elsewhere (5-7 px away at some shared boundaries) makes the
/// carried task render and encode the segment again.
inline constexpr double mirror_handover_max_px = 0.1;

/// A frame's landmark observation as a record without pose or AUs (warm-up frames).
[[nodiscard]] frame_record observed_record(int64_t index, const face_observation& seen);
/// Throws the error that a user's interruption ends a segment with.
[[noreturn]] void interrupted(const video_info& info);

/// The tests' seam for faults (tests/support/fault_injection.h sets it): called before a worker
/// runs a segment (in the worker process under process isolation), to crash, hang or throw
/// there on purpose. Null in every program but the tests'. Hidden: libfacemirror.so does not
/// export it, so neither the installed library nor the installed CLI can set it; only a program
/// linked with the stage archives (the test executables, the tests' facemirror_fault_cli) can.
using segment_hook = void (*)(const std::string& video_stem, const segment_task& task);
__attribute__((visibility("hidden"))) extern segment_hook before_segment;

/// What a worker hands to the in-order stage for one segment.
struct segment_output {
  /// The face's track: from first_frame to end_frame, or, for a carried task, to
  /// handover_frame. aus: the CSV rows; mirror: the source face's landmarks and pose.
  std::vector<analysed_frame> frames;
  std::vector<encoded_chunk> videos;  // one per output video (mirror jobs), the whole segment
  /// A cold task with warm-up: the track at the warm-up's last frame (first_frame - 1).
  std::optional<frame_record> lead_in;
  landmark_session::state end_state;  // after the last frame tracked
  /// A carried task: the first frame taken from the reference (cold) track; end_frame when the
  /// carried track never agreed with it.
  int64_t handover_frame = 0;
};

class worker_session {
 public:
  worker_session(const analysis_models& models, const engine_options& options);

  /// Frames [first_frame, end_frame) of `info`: a cold task after `warmup_frames` of tracker
  /// warm-up, a carried task from its handover state until its track agrees with the
  /// reference. `on_frame` runs after every analysed frame; returning false aborts (throws
  /// "interrupted").
  [[nodiscard]] segment_output analyse(const video_info& info, const segment_task& task,
                                       int warmup_frames, const std::function<bool()>& on_frame);

  /// The S1 mirror job on the same segment: videos {right, left, debug} plus the upright
  /// source when the input is rotated, and the source face's track (frames). A carried task
  /// tracks as analyse() does and renders the whole segment again from the video's track.
  [[nodiscard]] segment_output mirror(const video_info& info, const segment_task& task,
                                      int warmup_frames, const std::function<bool()>& on_frame);

  /// Drops the decoder (after an error its state is unknown).
  void forget_reader();

 private:
  segment_output analyse_once(const video_info& info, const segment_task& task, int warmup_frames,
                              const std::function<bool()>& on_frame);
  segment_output mirror_once(const video_info& info, const segment_task& task, int warmup_frames,
                             const std::function<bool()>& on_frame);
  /// Runs a segment; where its decoder's threads meet damaged data (damaged_for_threads), runs
  /// it again decoding on one thread, as the session then decodes that video from there on.
  segment_output decoded_the_same_every_time(const video_info& info,
                                             const std::function<segment_output()>& run);

  video_reader& open_at(const video_info& info, int64_t index);
  [[nodiscard]] static video_frame next_frame(video_reader& reader, const video_info& info,
                                              int64_t index);
  /// The task's analysed frame at `position` (the container's frame position * frame_stride),
  /// from the reader start_track() positioned.
  [[nodiscard]] video_frame analysed_frame_at(const video_info& info, const segment_task& task,
                                              int64_t position);

  /// Starts the segment's track: seeks to its warm-up (cold) or its first frame (carried) and
  /// sets the landmark session up. Returns the first frame to decode.
  int64_t start_track(const video_info& info, const segment_task& task, int warmup_frames);

  const analysis_models& models_;
  int mirror_crf_;
  camera_setting camera_;  // what is not given: OpenFace's guess per video
  landmark_session landmarks_;
  std::optional<video_reader> reader_;
  std::filesystem::path single_threaded_;  // the video whose damaged data the session met
};

}  // namespace facemirror::detail

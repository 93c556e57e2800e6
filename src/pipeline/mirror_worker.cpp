// The S1 mirror job on one segment: follow the source face, smooth its midline in frame order,
// reflect each half into a whole face and encode the mirrored, debug (and, for rotated inputs,
// upright source) videos. The mirrored faces' AUs are measured afterwards on the written
// mirrored videos (batch.cpp), exactly as `facemirror aus` measures them.

#include <algorithm>
#include <cmath>

#include "facemirror/error.h"
#include "facemirror/io/segment_video.h"
#include "facemirror/mirror/mirror.h"

#include "segment_worker.h"

namespace facemirror::detail {
namespace {

constexpr int debug_crf_offset = 10;
constexpr int debug_crf_max = 51;

// The source face's record for one frame: success, landmarks and pose (the debug banner's
// yaw), no AUs.
analysed_frame source_frame(int64_t index, const face_observation& seen,
                            const std::optional<pdm_params>& fit, const analysis_models& models,
                            const camera_intrinsics& camera) {
  analysed_frame out;
  out.record = observed_record(index, seen);
  if (seen.success) {
    out.record.params = fit ? *fit : models.pdm->fit(seen.landmarks);
    out.record.pose = estimate_head_pose(*models.pdm, out.record.params, seen.landmarks, camera);
  }
  return out;
}

}  // namespace

segment_output worker_session::mirror_once(const video_info& info, const segment_task& task,
                                           int warmup_frames,
                                           const std::function<bool()>& on_frame) {
  const int64_t start = start_track(info, task, warmup_frames);
  video_reader& reader = *reader_;
  const camera_intrinsics camera = camera_intrinsics::guess(info.width, info.height);
  const cv::Size size(info.width, info.height);
  segment_encoder_options encoding;
  encoding.frame_rate = info.average_fps;
  encoding.colour = info.colour;
  // The fastest preset keeps three 1080p encodes per frame from dominating the job; the quality
  // (crf, S1's 18 by default) is the user's.
  encoding.preset = "ultrafast";
  encoding.crf = mirror_crf_;
  // A key frame every 60 frames: the report's stills and a viewer's seeks decode at most 59
  // frames to reach any frame (x264's 250 made the report's stills most of its time), for ~2%
  // more bytes at crf 18.
  encoding.keyframe_interval = 60;
  // right, left, debug, and the upright source when the container asked for a rotation.
  const size_t video_count = info.reoriented() ? 4 : 3;
  // The debug video is a visual check of the midline and landmarks: ten quality steps coarser
  // (crf 28 for S1's 18) it looks the same at a glance, is 3-6x smaller and about a third
  // cheaper to encode (README, Speed).
  segment_encoder_options debug_encoding = encoding;
  debug_encoding.crf = std::min(debug_crf_max, encoding.crf + debug_crf_offset);
  std::vector<std::unique_ptr<segment_encoder>> encoders;
  for (size_t i = 0; i < video_count; ++i) {
    encoders.push_back(std::make_unique<segment_encoder>(size, task.first_frame,
                                                         i == 2 ? debug_encoding : encoding));
  }

  // The midlines are smoothed over the frames before the segment too, so a segment's first
  // midlines are smoothed like the ones after them: a cold task's warm-up frames, or the
  // video's track that a carried task continues.
  midline_smoother smoother;
  const auto smoothed = [&smoother](const frame_record& r) -> std::optional<midline> {
    if (!r.success)
      return std::nullopt;
    const auto raw = midline_from_landmarks(r.landmarks);
    return raw ? std::optional<midline>(smoother.smooth(*raw)) : std::nullopt;
  };
  if (task.carried) {
    for (const analysed_frame& before : task.carried->before)
      (void)smoothed(before.record);
  }

  segment_output result;
  result.handover_frame = task.end_frame;
  bool tracking = true;  // false once a carried track has agreed with the reference
  for (int64_t index = start; index < task.end_frame; ++index) {
    const video_frame frame = next_frame(reader, info, index);
    analysed_frame source;
    if (tracking) {
      std::optional<pdm_params> fit;
      const face_observation seen = landmarks_.observe(frame.bgr, fit);
      // Warm-up frames only feed the smoother and the lead-in: no pose.
      source = index < task.first_frame ? analysed_frame{observed_record(index, seen), std::nullopt}
                                        : source_frame(index, seen, fit, models_, camera);
      source.damage = frame.damage;
      if (task.carried) {
        const analysed_frame& reference =
            task.carried->reference[static_cast<size_t>(index - task.first_frame)];
        if (tracks_agree(source.record, reference.record, mirror_handover_max_px)) {
          result.handover_frame = index;  // the reference's end state is the segment's
          tracking = false;
        }
      }
    }
    if (!tracking)
      source = task.carried->reference[static_cast<size_t>(index - task.first_frame)];
    const std::optional<midline> line = smoothed(source.record);
    if (index < task.first_frame) {
      if (index + 1 == task.first_frame)
        result.lead_in = source.record;
      continue;
    }
    // Frames without a face are copied unchanged and flagged in the debug video.
    const mirrored_faces faces =
        line ? mirror_faces(frame.bgr, *line) : mirrored_faces{frame.bgr, frame.bgr};
    const double yaw_deg = source.record.success ? mirroring_yaw_deg(source.record.pose) : 0;
    encoders[0]->write(faces.right_mirrored);
    encoders[1]->write(faces.left_mirrored);
    encoders[2]->write(draw_debug_frame(
        frame.bgr, line, source.record.success ? &source.record.landmarks : nullptr, yaw_deg));
    if (video_count == 4)
      encoders[3]->write(frame.bgr);
    if (tracking)
      result.frames.push_back(std::move(source));
    if (!on_frame())
      interrupted(info);
  }
  if (tracking)
    result.end_state = landmarks_.save();
  for (auto& encoder : encoders)
    result.videos.push_back(encoder->finish());
  return result;
}

}  // namespace facemirror::detail

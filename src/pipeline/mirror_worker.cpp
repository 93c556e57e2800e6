// The S1 mirror job on one segment: find the face, smooth its midline in frame order, reflect
// each half into a whole face, encode the mirrored, debug (and, for rotated inputs, upright
// source) videos, and analyse both mirrored faces for AUs from the in-memory frames.

#include <cmath>

#include "facemirror/error.h"
#include "facemirror/mirror/mirror.h"

#include "segment_worker.h"

namespace facemirror::detail {
namespace {

constexpr double degrees_per_radian = 180.0 / 3.14159265358979323846;

video_frame with_image(const video_frame& frame, const cv::Mat& image) {
  return video_frame{frame.index, frame.timestamp_s, image};
}

}  // namespace

segment_output worker_session::mirror(const video_info& info, const segment_task& task,
                                      int warmup_frames, const std::function<bool()>& on_frame) {
  const bool aus = models_.extractor != nullptr;
  const int64_t warm_start = std::max<int64_t>(0, task.first_frame - warmup_frames);
  video_reader& reader = open_at(info, warm_start);
  landmarks_.reset();
  if (aus) {
    if (!right_)
      right_.emplace(models_, tracker_options_);
    if (!left_)
      left_.emplace(models_, tracker_options_);
    right_->reset();
    left_->reset();
  }
  const camera_intrinsics camera = camera_intrinsics::guess(info.width, info.height);
  const cv::Size size(info.width, info.height);
  segment_encoder_options encoding;
  encoding.frame_rate = info.average_fps;
  // The fastest preset keeps three 1080p encodes per frame from dominating the job; the quality
  // (crf, S1's 18 by default) is the user's.
  encoding.preset = "ultrafast";
  encoding.crf = mirror_crf_;
  // right, left, debug, and the upright source when the container asked for a rotation.
  const size_t video_count = info.rotation_deg != 0 ? 4 : 3;
  std::vector<std::unique_ptr<segment_encoder>> encoders;
  for (size_t i = 0; i < video_count; ++i) {
    encoders.push_back(std::make_unique<segment_encoder>(size, task.first_frame, encoding));
  }

  segment_output result;
  if (aus)
    result.tables.resize(2);
  // Warm-up frames feed the smoother too, so a segment's first midlines are smoothed exactly
  // like the ones after them.
  midline_smoother smoother;
  for (int64_t index = warm_start; index < task.end_frame; ++index) {
    const video_frame frame = next_frame(reader, info, index);
    std::optional<pdm_params> fit;
    const face_observation seen = landmarks_.observe(frame.bgr, fit);
    std::optional<midline> line;
    if (seen.success) {
      if (auto raw = midline_from_landmarks(seen.landmarks))
        line = smoother.smooth(*raw);
    }
    // Frames without a face are copied unchanged (their CSV rows say success 0).
    mirrored_faces faces =
        line ? mirror_faces(frame.bgr, *line) : mirrored_faces{frame.bgr, frame.bgr};
    // The mirrored faces start from the source face reflected, not from detections of their
    // own: the source fit already says where (and whether) they are, detecting them cost about
    // a sixth of the job's time, and dlib's fits of these unnatural faces were sometimes far off.
    face_observation right_estimate, left_estimate;
    if (line) {
      const mirrored_landmarks estimates = mirror_landmarks(seen.landmarks, *line);
      right_estimate = left_estimate = seen;
      right_estimate.landmarks = estimates.right_mirrored;
      left_estimate.landmarks = estimates.left_mirrored;
    }
    if (index < task.first_frame) {
      if (aus) {
        std::optional<pdm_params> ignored;
        (void)right_->observe_from(faces.right_mirrored, right_estimate, ignored);
        (void)left_->observe_from(faces.left_mirrored, left_estimate, ignored);
      }
      continue;
    }
    result.face_frames += line ? 1 : 0;
    double yaw_deg = 0.0;
    if (seen.success) {
      const pdm_params params = fit ? *fit : models_.pdm->fit(seen.landmarks);
      yaw_deg =
          estimate_head_pose(*models_.pdm, params, seen.landmarks, camera).ry * degrees_per_radian;
    }
    encoders[0]->write(faces.right_mirrored);
    encoders[1]->write(faces.left_mirrored);
    encoders[2]->write(
        draw_debug_frame(frame.bgr, line, seen.success ? &seen.landmarks : nullptr, yaw_deg));
    if (video_count == 4)
      encoders[3]->write(frame.bgr);
    if (aus) {
      result.tables[0].push_back(analyse_frame(with_image(frame, faces.right_mirrored), *right_,
                                               models_, camera, &right_estimate));
      result.tables[1].push_back(analyse_frame(with_image(frame, faces.left_mirrored), *left_,
                                               models_, camera, &left_estimate));
    }
    if (!on_frame()) {
      throw error(error_code::io, "'" + info.path.string() + "': interrupted");
    }
  }
  for (auto& encoder : encoders)
    result.videos.push_back(encoder->finish());
  return result;
}

}  // namespace facemirror::detail

// The S1 mirror job on one segment: find the face, smooth its midline in frame order, reflect
// each half into a whole face, encode the mirrored, debug (and, for rotated inputs, upright
// source) videos, and analyse both mirrored faces for AUs from their encoded frames in memory.

#include <cmath>

#include "facemirror/error.h"
#include "facemirror/io/segment_video.h"
#include "facemirror/mirror/mirror.h"

#include "segment_worker.h"

namespace facemirror::detail {
namespace {

constexpr double degrees_per_radian = 180.0 / 3.14159265358979323846;

// The mirrored faces are analysed from their encoded frames decoded again in memory, exactly as
// `facemirror aus` reads the written videos back, and tracked from a cold start at the segment's
// first frame, as `aus` does for a mirrored video (the chunk before is another worker's): the
// re-analysis of the files then reproduces the in-pass CSVs byte for byte. The uncompressed
// frames would differ from the file's by the codec's noise, which the tracked fit and the
// person-specific AU normalisation amplified to r 0.51-0.96 between the two.
class mirrored_face_analysis {
 public:
  mirrored_face_analysis(landmark_session& landmarks, const shared_models& models,
                         const video_info& info, cv::Size encoded_size,
                         std::vector<analysed_frame>& out)
      : landmarks_(landmarks),
        models_(models),
        info_(info),
        camera_(camera_intrinsics::guess(encoded_size.width, encoded_size.height)),
        out_(out) {
    landmarks_.reset(face_kind::mirrored);
  }

  // Analyses the frames of `chunk` the encoder has handed over since the last call.
  void catch_up(const encoded_chunk& chunk) { analyse(decoder_.decode_new(chunk)); }
  void finish(const encoded_chunk& chunk) {
    catch_up(chunk);
    analyse(decoder_.drain());
  }

 private:
  void analyse(std::vector<video_frame> frames) {
    for (video_frame& frame : frames) {
      frame.timestamp_s = info_.timestamps_s[static_cast<size_t>(frame.index)];
      out_.push_back(analyse_frame(frame, landmarks_, models_, camera_));
    }
  }

  landmark_session& landmarks_;
  const shared_models& models_;
  const video_info& info_;
  camera_intrinsics camera_;
  std::vector<analysed_frame>& out_;
  chunk_decoder decoder_;
};

}  // namespace

segment_output worker_session::mirror(const video_info& info, const segment_task& task,
                                      int warmup_frames, const std::function<bool()>& on_frame) {
  const bool aus = models_.extractor != nullptr;
  const int64_t warm_start = std::max<int64_t>(0, task.first_frame - warmup_frames);
  video_reader& reader = open_at(info, warm_start);
  landmarks_.reset();
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
  std::vector<mirrored_face_analysis> faces_analysis;
  if (aus) {
    if (!right_)
      right_.emplace(models_, tracker_options_);
    if (!left_)
      left_.emplace(models_, tracker_options_);
    result.tables.resize(2);
    faces_analysis.reserve(2);
    const cv::Size encoded = encoders[0]->encoded_size();
    faces_analysis.emplace_back(*right_, models_, info, encoded, result.tables[0]);
    faces_analysis.emplace_back(*left_, models_, info, encoded, result.tables[1]);
  }
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
    if (index < task.first_frame)
      continue;
    // Frames without a face are copied unchanged and flagged in the debug video. Their mirrored
    // CSV rows are whatever the analysis finds in the unmirrored frame, as a re-analysis of the
    // file would find (usually nothing: the source fit failed there too).
    const mirrored_faces faces =
        line ? mirror_faces(frame.bgr, *line) : mirrored_faces{frame.bgr, frame.bgr};
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
    for (size_t i = 0; i < faces_analysis.size(); ++i)
      faces_analysis[i].catch_up(encoders[i]->chunk_so_far());
    if (!on_frame()) {
      throw error(error_code::io, "'" + info.path.string() + "': interrupted");
    }
  }
  for (size_t i = 0; i < encoders.size(); ++i) {
    result.videos.push_back(encoders[i]->finish());
    if (i < faces_analysis.size())
      faces_analysis[i].finish(result.videos.back());
  }
  return result;
}

}  // namespace facemirror::detail

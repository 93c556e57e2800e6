#include "segment_worker.h"

#include <algorithm>

#include "facemirror/error.h"
#include "facemirror/mirror/mirror.h"

namespace facemirror::detail {

segment_hook before_segment = nullptr;

worker_session::worker_session(const analysis_models& models, const engine_options& options)
    : models_(models),
      mirror_crf_(options.mirror_crf),
      camera_(options.camera),
      landmarks_(models, options.tracker) {}

namespace {
// The decoder works a frame ahead on threads of its own (libavcodec's frame threading, the same
// pixels). Where workers outnumber the segments left (one short video, a batch's end) an idle
// core decodes for a busy worker: 4K default.wmv with 2 workers, 15.6-16.6 s -> 12.4-12.8 s
// (interleaved, README Speed). With every worker busy it measured neutral (the six shared
// videos, 1.00x).
constexpr int decoder_threads_per_reader = 2;
}  // namespace

void worker_session::forget_reader() {
  reader_.reset();
}

video_reader& worker_session::open_at(const video_info& info, int64_t index) {
  // A task's decoder starts afresh, never where the worker's last task left it: the frames
  // are the same either way, but damaged data a decoder neither reports nor patches (HEVC's)
  // may refer to any picture it holds, and which it holds would then depend on the order the
  // workers took the tasks in (a damaged HEVC clip's CSV differed with the worker count).
  forget_reader();
  reader_.emplace(
      info, video_reader_options{info.path == single_threaded_ ? 1 : decoder_threads_per_reader});
  reader_->seek(index);
  return *reader_;
}

video_frame worker_session::next_frame(video_reader& reader, const video_info& info,
                                       int64_t index) {
  std::optional<video_frame> frame = reader.read();
  if (!frame || frame->index != index) {
    throw error(error_code::codec,
                "'" + info.path.string() + "': frame " + std::to_string(index + 1) + " of " +
                    std::to_string(info.frame_count()) + " could not be decoded");
  }
  return std::move(*frame);
}

bool tracks_agree(const frame_record& a, const frame_record& b, double tolerance_px) {
  const auto blank = [](const frame_record& r) {
    return !r.success && r.landmarks[0] == cv::Point2d() &&
           r.landmarks[landmark_count - 1] == cv::Point2d();
  };
  if (blank(a) && blank(b))
    return true;
  if (!a.success || !b.success)
    return false;
  return mean_landmark_distance(a.landmarks, b.landmarks) <= tolerance_px;
}

frame_record observed_record(int64_t index, const face_observation& seen) {
  frame_record r;
  r.index = index;
  r.success = seen.success;
  r.confidence = seen.confidence;
  r.landmarks = seen.landmarks;
  return r;
}

[[noreturn]] void interrupted(const video_info& info) {
  throw error(error_code::io, "'" + info.path.string() + "': interrupted");
}

int64_t worker_session::start_track(const video_info& info, const segment_task& task,
                                    int warmup_frames) {
  landmarks_.set_start_offset_ulps(task.start_offset_ulps);
  if (task.carried) {
    landmarks_.restore(task.carried->state);
    open_at(info, task.first_frame * task.frame_stride);
    return task.first_frame;
  }
  landmarks_.reset();
  const int64_t warm_start = std::max<int64_t>(0, task.first_frame - warmup_frames);
  open_at(info, warm_start * task.frame_stride);
  return warm_start;
}

video_frame worker_session::analysed_frame_at(const video_info& info, const segment_task& task,
                                              int64_t position) {
  const int64_t index = position * task.frame_stride;
  // Skipping frames is a short seek: the reader decodes on from where it is, skipping what
  // nothing refers to, or jumps to a key frame when one lies between.
  if (task.frame_stride > 1)
    reader_->seek(index);
  return next_frame(*reader_, info, index);
}

segment_output worker_session::analyse(const video_info& info, const segment_task& task,
                                       int warmup_frames, const std::function<bool()>& on_frame) {
  return decoded_the_same_every_time(
      info, [&] { return analyse_once(info, task, warmup_frames, on_frame); });
}

segment_output worker_session::mirror(const video_info& info, const segment_task& task,
                                      int warmup_frames, const std::function<bool()>& on_frame) {
  return decoded_the_same_every_time(
      info, [&] { return mirror_once(info, task, warmup_frames, on_frame); });
}

segment_output worker_session::decoded_the_same_every_time(
    const video_info& info, const std::function<segment_output()>& run) {
  try {
    return run();
  } catch (const damaged_for_threads&) {
    // The threads' patching of damaged data differs from run to run; one thread's does not,
    // and it gives the undamaged frames the threads' pixels. The segment starts again from its
    // start state, as any retry does.
    single_threaded_ = info.path;
    forget_reader();
    return run();
  }
}

segment_output worker_session::analyse_once(const video_info& info, const segment_task& task,
                                            int warmup_frames,
                                            const std::function<bool()>& on_frame) {
  const int64_t start = start_track(info, task, warmup_frames);
  const camera_intrinsics camera = camera_.for_frame(info.width, info.height);

  segment_output result;
  result.handover_frame = task.end_frame;
  result.frames.reserve(static_cast<size_t>(task.end_frame - task.first_frame));
  // `index` counts analysed frames; the frames read carry the container's numbers.
  for (int64_t index = start; index < task.end_frame; ++index) {
    const video_frame frame = analysed_frame_at(info, task, index);
    if (index < task.first_frame) {
      std::optional<pdm_params> ignored;  // warm-up: only the tracker state matters
      const face_observation seen = landmarks_.observe(frame.bgr, ignored);
      if (index + 1 == task.first_frame)
        result.lead_in = observed_record(frame.index, seen);
      continue;
    }
    analysed_frame analysed = analyse_frame(frame, landmarks_, models_, camera);
    if (task.carried && !task.carried->reference.empty()) {
      const auto& reference =
          task.carried->reference[static_cast<size_t>(index - task.first_frame)];
      if (tracks_agree(analysed.record, reference.record, handover_max_px)) {
        result.handover_frame = index;
        break;
      }
    }
    result.frames.push_back(std::move(analysed));
    if (!on_frame())
      interrupted(info);
  }
  result.end_state = landmarks_.save();
  return result;
}

}  // namespace facemirror::detail

#include "segment_worker.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>

#include "facemirror/error.h"
#include "facemirror/mirror/mirror.h"

#include <unistd.h>

namespace facemirror::detail {

fault_plan fault_plan::parse(const std::string& spec) {
  fault_plan plan;
  const auto at = spec.find('@');
  const auto hash = spec.find('#');
  if (spec.empty() || at == std::string::npos || hash == std::string::npos || hash < at) {
    return plan;
  }
  const std::string kind = spec.substr(0, at);
  plan.what = kind == "crash"   ? kind::crash
              : kind == "hang"  ? kind::hang
              : kind == "throw" ? kind::fail
                                : kind::none;
  plan.stem = spec.substr(at + 1, hash - at - 1);
  const auto once = spec.find("@once", hash);
  plan.segment = std::atoll(spec.substr(hash + 1, once - hash - 1).c_str());
  plan.first_attempt_only = once != std::string::npos;
  return plan;
}

void fault_plan::trigger(const std::string& video_stem, const segment_task& task) const {
  if (what == kind::none || video_stem != stem || task.segment != segment)
    return;
  if (first_attempt_only && task.attempt > 0)
    return;
  switch (what) {
    case kind::crash:
      std::abort();
    case kind::hang:
      for (;;)
        ::pause();
    case kind::fail:
      throw error(error_code::internal, "injected test fault");
    case kind::none:
      break;
  }
}

worker_session::worker_session(const shared_models& models, const engine_options& options)
    : models_(models),
      tracker_options_(options.tracker),
      mirror_crf_(options.mirror_crf),
      landmarks_(models, options.tracker) {}

void worker_session::forget_reader() {
  reader_.reset();
  reader_path_.clear();
}

video_reader& worker_session::open_at(const video_info& info, int64_t index) {
  // Keep the decoder open across consecutive segments of one video; seek() is exact, so reuse
  // does not change results.
  if (!reader_ || reader_path_ != info.path) {
    forget_reader();
    reader_.emplace(info);
    reader_path_ = info.path;
  }
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

[[noreturn]] static void interrupted(const video_info& info) {
  throw error(error_code::io, "'" + info.path.string() + "': interrupted");
}

segment_output worker_session::analyse(const video_info& info, const segment_task& task,
                                       int warmup_frames, face_kind faces,
                                       const std::function<bool()>& on_frame) {
  const int64_t warm_start = std::max<int64_t>(0, task.first_frame - warmup_frames);
  video_reader& reader = open_at(info, warm_start);
  landmarks_.reset(faces);
  const camera_intrinsics camera = camera_intrinsics::guess(info.width, info.height);

  segment_output result;
  std::vector<analysed_frame>& out = result.tables.emplace_back();
  out.reserve(static_cast<size_t>(task.end_frame - task.first_frame));
  for (int64_t index = warm_start; index < task.end_frame; ++index) {
    const video_frame frame = next_frame(reader, info, index);
    if (index < task.first_frame) {
      std::optional<pdm_params> ignored;  // warm-up: only the tracker state matters
      (void)landmarks_.observe(frame.bgr, ignored);
      continue;
    }
    out.push_back(analyse_frame(frame, landmarks_, models_, camera));
    result.face_frames += out.back().record.success ? 1 : 0;
    if (!on_frame())
      interrupted(info);
  }
  return result;
}

}  // namespace facemirror::detail

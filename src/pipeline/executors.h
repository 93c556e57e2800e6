#pragma once
// The two ways of running a batch's segments: worker threads sharing the models in memory, or
// worker processes that inherit them copy-on-write and can crash or hang without taking the
// run down. Both feed the same batch (and so the same in-order stage): output is identical.

#include "batch.h"
#include "segment_worker.h"

namespace facemirror::detail {

struct run_context {
  batch& work;
  const analysis_models& models;
  const engine_options& options;
};

/// Runs the job's kind of work on one segment.
[[nodiscard]] inline segment_output run_segment(worker_session& session, run_context& context,
                                                const segment_task& task,
                                                const std::function<bool()>& on_frame) {
  const video_info& info = context.work.info(task);
  const int warmup = context.work.warmup_frames();
  return context.work.kind(task.video) == job_kind::mirror
             ? session.mirror(info, task, warmup, on_frame)
             : session.analyse(info, task, warmup, on_frame);
}

/// Calls the tests' fault seam (before_segment), when set, for `task`.
inline void before_segment_hook(run_context& context, const segment_task& task) {
  if (before_segment != nullptr)
    before_segment(context.work.stem(task.video), task);
}

void run_in_threads(run_context& context, int workers);
void run_in_processes(run_context& context, int workers);

/// What went wrong in a task, naming the file and the frames (once, if `reason` names the file).
[[nodiscard]] std::string failure_text(const video_info& info, const segment_task& task,
                                       const std::string& reason);

/// The message a video fails with when its segment failed twice (a segment that fails is retried
/// once): it always names the file and the frames.
[[nodiscard]] std::string retry_message(const video_info& info, const segment_task& task,
                                        const std::string& reason);

/// The task's frames as the CSV numbers them (1-based, the container's): "141-160".
[[nodiscard]] inline std::string frame_range(const segment_task& task) {
  return std::to_string(task.first_frame * task.frame_stride + 1) + "-" +
         std::to_string((task.end_frame - 1) * task.frame_stride + 1);
}

/// Whether a frame of `task` counts towards progress: a carried task tracks frames that the
/// segment's cold task already counted.
[[nodiscard]] inline bool counts_frames(const segment_task& task) {
  return task.carried == nullptr;
}

}  // namespace facemirror::detail

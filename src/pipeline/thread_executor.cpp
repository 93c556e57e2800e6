#include <thread>

#include "executors.h"

namespace facemirror::detail {

std::string failure_text(const video_info& info, const segment_task& task,
                         const std::string& reason) {
  // A reader's error names the file (and the frame) already: said once.
  const std::string where = reason.find(info.path.string()) == std::string::npos
                                ? "'" + info.path.string() + "': frames " + frame_range(task) + ": "
                                : "";
  return where + reason;
}

std::string retry_message(const video_info& info, const segment_task& task,
                          const std::string& reason) {
  return failure_text(info, task, reason) + " (failed again on retry)";
}

namespace {

void work(run_context& context, worker_session& session) {
  const auto& options = context.options;
  std::optional<segment_task> follow;  // a carried task that starts where the last one ended
  for (;;) {
    std::optional<segment_task> next =
        follow ? std::move(follow) : context.work.next_task(true, options.should_abort);
    follow.reset();
    if (!next)
      break;
    segment_task task = std::move(*next);
    for (; task.attempt < 2; ++task.attempt) {
      if (!context.work.wants(task))
        break;
      try {
        before_segment_hook(context, task);
        auto frames = run_segment(session, context, task, [&] {
          if (counts_frames(task))
            context.work.frame_done(task.video);
          return !(options.should_abort && options.should_abort());
        });
        follow = context.work.deliver(task, std::move(frames));
        break;
      } catch (const std::exception& e) {
        session.forget_reader();
        const bool aborted = options.should_abort && options.should_abort();
        if (aborted || task.attempt == 1) {
          context.work.fail(
              task.video,
              aborted ? e.what() : retry_message(context.work.info(task), task, e.what()));
        } else {
          context.work.note_retry(task.video,
                                  failure_text(context.work.info(task), task, e.what()));
        }
      }
    }
    context.work.task_finished();
  }
}

}  // namespace

void run_in_threads(run_context& context, int workers) {
  std::vector<std::unique_ptr<worker_session>> sessions;
  for (int i = 0; i < workers; ++i) {
    sessions.push_back(std::make_unique<worker_session>(context.models, context.options));
  }
  if (workers == 1) {
    work(context, *sessions[0]);  // the same code path, without a thread
    return;
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < workers; ++i) {
    threads.emplace_back([&context, &sessions, i] { work(context, *sessions[i]); });
  }
  for (auto& thread : threads)
    thread.join();
}

}  // namespace facemirror::detail

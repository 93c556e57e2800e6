#include "facemirror/pipeline/engine.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "facemirror/error.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/output/atomic_file.h"

#include "frame_analysis.h"
#include "video_assembler.h"

namespace facemirror {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

struct segment_task {
  size_t video = 0;
  int64_t segment = 0;
  int64_t first_frame = 0;
  int64_t end_frame = 0;  // exclusive
};

// Everything the in-order stage and the bookkeeping know about one video. Guarded by `mutex`.
struct video_state {
  std::mutex mutex;
  video_job job;
  std::optional<video_info> info;
  std::unique_ptr<detail::video_assembler> assembler;
  video_result result;
  bool finished = false;
  int64_t frames_analysed = 0;
  int64_t next_progress = 0;
  std::optional<clock_type::time_point> started;
};

// What a worker owns: its own tracker (detector + previous face) and decoder. Nothing here is
// shared with another worker; the models it reads are const.
struct worker_session {
  worker_session(std::shared_ptr<const landmark_model> model, const face_tracker_options& options)
      : tracker(std::move(model), options) {}
  face_tracker tracker;
  size_t reader_video = SIZE_MAX;
  std::optional<video_reader> reader;
};

}  // namespace

struct engine::impl {
  engine_options options;
  std::unique_ptr<detail::shared_models> models;
  double load_seconds = 0.0;
  int workers = 1;

  // Per-run state.
  std::vector<std::unique_ptr<video_state>> videos;
  std::vector<segment_task> tasks;
  std::atomic<size_t> next_task{0};
  std::mutex progress_mutex;
  std::atomic<int64_t> batch_done{0};
  int64_t batch_total = 0;
  clock_type::time_point run_start;

  void prepare(const std::vector<video_job>& jobs);
  void work(worker_session& session);
  std::vector<detail::analysed_frame> analyse_segment(worker_session& session,
                                                      const segment_task& task);
  void deliver(const segment_task& task, std::vector<detail::analysed_frame> frames);
  void fail(video_state& video, const std::string& message);
  void report(video_state& video, size_t index, const char* stage, bool force);
};

engine::engine(engine_options options) : impl_(std::make_unique<impl>()) {
  FACEMIRROR_CHECK(options.segment_frames > 0 && options.warmup_frames >= 0,
                   "segment_frames must be positive and warmup_frames non-negative");
  impl_->options = std::move(options);
  const auto start = clock_type::now();
  impl_->models = std::make_unique<detail::shared_models>(
      resolve_model_paths(impl_->options.models_dir), impl_->options.compute_aus,
      impl_->options.static_aus);
  impl_->load_seconds = seconds_since(start);
  int hw = static_cast<int>(std::thread::hardware_concurrency());
  impl_->workers = impl_->options.workers > 0 ? impl_->options.workers : std::max(1, hw);
}

engine::~engine() = default;

double engine::model_load_seconds() const {
  return impl_->load_seconds;
}
int engine::worker_count() const {
  return impl_->workers;
}

void engine::impl::prepare(const std::vector<video_job>& jobs) {
  videos.clear();
  tasks.clear();
  next_task = 0;
  batch_done = 0;
  batch_total = 0;
  const int64_t length = options.segment_frames;
  for (size_t v = 0; v < jobs.size(); ++v) {
    auto state = std::make_unique<video_state>();
    state->job = jobs[v];
    state->result.input = jobs[v].input;
    state->result.output_csv = jobs[v].output_csv;
    try {
      state->info = probe_video(jobs[v].input);
      const int64_t frames = state->info->frame_count();
      state->assembler = std::make_unique<detail::video_assembler>(frames, *models);
      state->result.frames = frames;
      batch_total += frames;
      for (int64_t s = 0; s * length < frames; ++s) {
        tasks.push_back({v, s, s * length, std::min(frames, (s + 1) * length)});
      }
    } catch (const std::exception& e) {
      state->finished = true;
      state->result.error = e.what();
    }
    videos.push_back(std::move(state));
  }
}

std::vector<detail::analysed_frame> engine::impl::analyse_segment(worker_session& session,
                                                                  const segment_task& task) {
  video_state& video = *videos[task.video];
  if (session.reader_video != task.video) {
    session.reader.reset();
    session.reader.emplace(*video.info);
    session.reader_video = task.video;
  }
  video_reader& reader = *session.reader;
  const int64_t warm_start = std::max<int64_t>(0, task.first_frame - options.warmup_frames);
  reader.seek(warm_start);
  session.tracker.reset();
  const camera_intrinsics camera = camera_intrinsics::guess(video.info->width, video.info->height);

  std::vector<detail::analysed_frame> out;
  out.reserve(static_cast<size_t>(task.end_frame - task.first_frame));
  for (int64_t index = warm_start; index < task.end_frame; ++index) {
    std::optional<video_frame> frame = reader.read();
    if (!frame || frame->index != index) {
      throw error(error_code::codec,
                  "'" + video.job.input.string() + "': frame " + std::to_string(index + 1) +
                      " of " + std::to_string(video.info->frame_count()) + " could not be decoded");
    }
    if (options.should_abort && options.should_abort()) {
      throw error(error_code::io, "'" + video.job.input.string() + "': interrupted");
    }
    if (index < task.first_frame) {
      (void)session.tracker.track(frame->bgr);  // warm-up: only the tracker state matters
      continue;
    }
    out.push_back(detail::analyse_frame(*frame, session.tracker, *models, camera));
    {
      std::lock_guard<std::mutex> lock(video.mutex);
      ++video.frames_analysed;
    }
    ++batch_done;
    report(video, task.video, "analysing", false);
  }
  return out;
}

void engine::impl::deliver(const segment_task& task, std::vector<detail::analysed_frame> frames) {
  video_state& video = *videos[task.video];
  std::unique_lock<std::mutex> lock(video.mutex);
  if (video.finished)
    return;
  // Whoever delivers the segment that completes the video also writes it; the per-video mutex
  // makes this the single in-order stage for that video.
  video.assembler->add_segment(task.segment, std::move(frames));
  if (!video.assembler->complete())
    return;
  std::string text = video.assembler->finish();
  atomic_file file(video.job.output_csv);
  file.write(text);
  file.commit();
  video.finished = true;
  video.result.ok = true;
  video.result.successful_frames = video.assembler->successful_frames();
  video.result.seconds = seconds_since(*video.started);
  video.assembler.reset();  // frees the frames and features of a finished video
  lock.unlock();
  report(video, task.video, "done", true);
}

void engine::impl::fail(video_state& video, const std::string& message) {
  {
    std::lock_guard<std::mutex> lock(video.mutex);
    if (video.finished)
      return;
    video.finished = true;
    video.result.error = message;
    video.assembler.reset();
  }
}

void engine::impl::report(video_state& video, size_t index, const char* stage, bool force) {
  if (!options.on_progress)
    return;
  progress_event event;
  {
    std::lock_guard<std::mutex> lock(video.mutex);
    if (!force && video.frames_analysed < video.next_progress)
      return;
    video.next_progress = video.frames_analysed + options.progress_interval_frames;
    event.frames_done = video.frames_analysed;
    event.frames_total = video.result.frames;
  }
  event.video = index;
  event.input = video.job.input;
  event.batch_frames_done = batch_done;
  event.batch_frames_total = batch_total;
  const double elapsed = seconds_since(run_start);
  event.fps = elapsed > 0 ? static_cast<double>(event.batch_frames_done) / elapsed : 0.0;
  event.stage = stage;
  std::lock_guard<std::mutex> lock(progress_mutex);
  options.on_progress(event);
}

void engine::impl::work(worker_session& session) {
  for (size_t t = next_task++; t < tasks.size(); t = next_task++) {
    const segment_task& task = tasks[t];
    video_state& video = *videos[task.video];
    {
      std::lock_guard<std::mutex> lock(video.mutex);
      if (video.finished)
        continue;  // an earlier segment of this video failed
      if (!video.started)
        video.started = clock_type::now();
    }
    try {
      deliver(task, analyse_segment(session, task));
    } catch (const std::exception& e) {
      session.reader.reset();
      session.reader_video = SIZE_MAX;
      fail(video, e.what());
      report(video, task.video, "failed", true);
    }
  }
}

std::vector<video_result> engine::run(const std::vector<video_job>& jobs) {
  impl& self = *impl_;
  self.run_start = clock_type::now();
  self.prepare(jobs);
  const int n = std::max(1, std::min<int>(self.workers, static_cast<int>(self.tasks.size())));
  std::vector<std::unique_ptr<worker_session>> sessions;
  for (int i = 0; i < n; ++i) {
    sessions.push_back(
        std::make_unique<worker_session>(self.models->landmarks, self.options.tracker));
  }
  if (n == 1) {
    self.work(*sessions[0]);  // same code path, no extra thread
  } else {
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
      threads.emplace_back([&self, &sessions, i] { self.work(*sessions[i]); });
    for (auto& thread : threads)
      thread.join();
  }
  std::vector<video_result> results;
  for (auto& video : self.videos) {
    if (!video->result.ok && video->result.error.empty()) {
      video->result.error = "'" + video->job.input.string() + "': not all frames were processed";
    }
    results.push_back(video->result);
  }
  return results;
}

}  // namespace facemirror

#pragma once
// The bookkeeping of one run: every video's frame table, its segments, its in-order stage and
// its result. Thread-safe: executors call it from any worker thread (or one poll loop).

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "facemirror/io/segment_video.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/pipeline/engine.h"

#include "csv_stream.h"
#include "segment_worker.h"

namespace facemirror::detail {

class batch {
 public:
  /// Probes every input (a video that cannot be probed fails at once) and cuts the rest into
  /// segments of `options.segment_frames` (a mirrored video from the mirror job, re-analysed:
  /// into the segments it was written in).
  batch(const std::vector<video_job>& jobs, const engine_options& options,
        const shared_models& models);

  [[nodiscard]] const std::vector<segment_task>& tasks() const { return tasks_; }
  [[nodiscard]] const video_info& info(size_t video) const { return *videos_[video]->info; }
  [[nodiscard]] std::string stem(size_t video) const;
  [[nodiscard]] job_kind kind(size_t video) const { return videos_[video]->job.kind; }
  /// Tracker warm-up before each segment: none for a mirrored video written by the mirror job
  /// (its segments start cold, as they did when the mirror job analysed them).
  [[nodiscard]] int warmup_frames(size_t video) const {
    return faces(video) == face_kind::mirrored ? 0 : options_.warmup_frames;
  }
  /// mirrored for a mirrored video written by the mirror job, tracked as the job tracked it.
  [[nodiscard]] face_kind faces(size_t video) const { return videos_[video]->faces; }

  /// False once the video has failed or finished: its remaining segments are skipped.
  [[nodiscard]] bool wants(const segment_task& task);

  /// Counts an analysed frame for progress reporting.
  void frame_done(size_t video);

  /// Feeds a finished segment to the video's in-order stage (segments wait in a reorder buffer
  /// until their predecessors arrive) and writes the outputs, each atomically, once the video is
  /// complete. A write failure fails the video.
  void deliver(const segment_task& task, segment_output output);

  /// Marks the video failed (first message wins); its output is never written.
  void fail(size_t video, const std::string& message);

  /// One result per job, in job order; videos never completed are reported as failed.
  [[nodiscard]] std::vector<video_result> results();

 private:
  struct video_state {
    std::mutex mutex;
    video_job job;
    std::optional<video_info> info;
    int64_t segments = 0;
    face_kind faces = face_kind::natural;
    int64_t next_segment = 0;
    std::map<int64_t, segment_output> waiting;  // the reorder buffer
    std::vector<std::unique_ptr<csv_stream>> tables;
    std::vector<std::filesystem::path> table_paths;
    std::vector<std::unique_ptr<chunk_muxer>> muxers;
    std::vector<std::filesystem::path> video_paths;
    std::vector<std::string> video_comments;  // the container comment tag of each video
    std::optional<std::pair<std::filesystem::path, std::filesystem::path>> copy;  // from, to
    video_result result;
    bool finished = false;
    int64_t frames_analysed = 0;
    int64_t next_progress = 0;
    std::optional<std::chrono::steady_clock::time_point> started;
  };

  void report(size_t video, const char* stage, bool force);
  void consume(video_state& video, segment_output& output);
  static void plan_outputs(video_state& video, const engine_options& options);
  void write_outputs(video_state& video);

  const shared_models& models_;

  const engine_options& options_;
  std::vector<std::unique_ptr<video_state>> videos_;
  std::vector<segment_task> tasks_;
  std::mutex progress_mutex_;
  std::atomic<int64_t> batch_done_{0};
  int64_t batch_total_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace facemirror::detail

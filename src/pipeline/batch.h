#pragma once
// The bookkeeping of one run: every video's frame table, its segments, its in-order stage and
// its result, and the queue of tasks the workers take. Thread-safe: executors call it from any
// worker thread (or one poll loop).
//
// THE QUEUE
//   It starts with every video's segments as cold tasks. The in-order stage adds a carried task
//   where a segment's cold track does not continue the video's track (see handover in
//   segment_worker.h), and a mirror job with AUs adds the AU analysis of its two mirrored
//   videos once they are written. Carried tasks go first: the video waits for them.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <vector>

#include "facemirror/io/segment_video.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/output/aligned_face_folder.h"
#include "facemirror/output/atomic_file.h"
#include "facemirror/output/hog_file.h"
#include "facemirror/pipeline/engine.h"

#include "consensus.h"
#include "csv_stream.h"
#include "segment_worker.h"

namespace facemirror::detail {

/// The mirror job's segments, whatever --segment-frames says: each is encoded as one chunk that
/// starts with a key frame, so the mirrored videos' pixels, and the AUs measured on them (one
/// continuous track per mirrored face), would otherwise depend on that engineering parameter
/// through the codec's noise.
inline constexpr int64_t mirror_chunk_frames = 240;

class batch {
 public:
  /// Probes every input (a video that cannot be probed fails at once) and cuts the rest into
  /// segments of `options.segment_frames`, except a mirror job's (mirror_chunk_frames) and a
  /// mirrored video the mirror job wrote, which is tracked as one continuous track, as the
  /// mirror job measures it (mirror_tag.h): chained segments of mirror_chunk_frames.
  batch(const std::vector<video_job>& jobs, const engine_options& options,
        const analysis_models& models);

  /// The number of tasks the run starts with.
  [[nodiscard]] size_t initial_tasks() const { return initial_tasks_; }
  /// The frames its progress events' batch_frames_done counts to: every frame of every video
  /// that could be probed, a mirror job's once per mirrored face more.
  [[nodiscard]] int64_t progress_total() const { return batch_total_; }

  /// The next task, or nullopt once none is queued and none is being worked on (the run is
  /// over) or `should_stop` says so. With `wait`, blocks while none is queued but some are
  /// being worked on (they may add more); without, returns nullopt at once then too.
  [[nodiscard]] std::optional<segment_task> next_task(bool wait,
                                                      const std::function<bool()>& should_stop);
  /// A task from next_task() is done with: delivered, failed for good or skipped.
  void task_finished();

  /// The task's video (probing a video the batch probed after this process's copy was made).
  [[nodiscard]] const video_info& info(const segment_task& task);
  [[nodiscard]] std::string stem(size_t video) const;
  [[nodiscard]] job_kind kind(size_t video) const { return videos_[video]->job.kind; }
  /// Tracker warm-up before each cold task.
  [[nodiscard]] int warmup_frames() const { return options_.warmup_frames; }

  /// False once the video has failed or finished: its remaining segments are skipped.
  [[nodiscard]] bool wants(const segment_task& task);

  /// Counts an analysed frame for progress reporting.
  void frame_done(size_t video);

  /// Feeds a finished task to the video's in-order stage (segments wait in a reorder buffer
  /// until their predecessors are resolved) and writes the outputs, each atomically, once the
  /// video is complete. A write failure fails the video.
  /// Returns the carried task this delivery made necessary when it starts where `task` ended:
  /// the caller's reader is positioned there, so the caller runs it next (counted in flight
  /// like a task from next_task()) rather than another worker seeking back to the key frame
  /// before it and decoding up to there. Any other carried task is queued first.
  [[nodiscard]] std::optional<segment_task> deliver(const segment_task& task,
                                                    segment_output output);

  /// Marks the video failed (first message wins); its output is never written.
  void fail(size_t video, const std::string& message);
  /// Records that a task of the video failed once (`reason` names the video and frames) and is
  /// queued again: said in its result (video_result::retried) if the retry saves it.
  void note_retry(size_t video, const std::string& reason);

  /// One result per job, in job order; videos never completed are reported as failed.
  [[nodiscard]] std::vector<video_result> results();

 private:
  struct video_state {
    std::mutex mutex;
    video_job job;
    std::optional<video_info> info;
    std::vector<int64_t> bounds;  // segment s is frames [bounds[s], bounds[s + 1])
    // Every frame_stride-th frame is analysed (engine_options::frame_stride; 1 for a mirror
    // job and its mirrored faces): bounds and counts are in analysed frames.
    int frame_stride = 1;
    int64_t next_segment = 0;
    std::map<int64_t, segment_output> waiting;  // cold tasks' outputs: the reorder buffer
    std::optional<segment_output> carried;      // the carried task's output for next_segment
    bool carried_queued = false;
    // One continuous track (a mirrored face): only the first segment is a cold task; each
    // later one is a carried task from the state the one before ended in, never handed over
    // to a cold track. Exact whatever the layout, and memory holds a segment, not the video.
    bool chained = false;
    std::vector<analysed_frame> tail;    // the video's track's last frames (no AU features)
    landmark_session::state tail_state;  // its state after them
    std::vector<std::unique_ptr<csv_stream>> tables;
    // OpenFace's HOG file and aligned faces (engine_options::write_hog, write_aligned_faces),
    // streamed in frame order as segments are consumed, committed with the CSV.
    std::unique_ptr<hog_file_writer> hog;
    std::unique_ptr<aligned_face_folder> aligned;
    std::vector<std::unique_ptr<chunk_muxer>> muxers;
    std::vector<std::filesystem::path> video_paths;
    // A mirror job's videos once committed ahead of their analyses (which read them): removed
    // if an analysis fails, so that a failed or interrupted job leaves none of its files.
    std::vector<std::filesystem::path> committed_videos;
    void remove_committed_videos() const {
      for (const auto& committed : committed_videos) {
        std::error_code ignored;
        std::filesystem::remove(committed, ignored);
      }
    }
    std::vector<std::string> video_comments;  // the container comment tag of each video
    std::optional<std::pair<std::filesystem::path, std::filesystem::path>> copy;  // from, to
    // A mirror job: the source face's head pose per frame (<stem>_head_pose.csv), the yaw the
    // debug video's banner shows, for the report's quality section.
    std::string head_pose;
    // A mirror job with AUs: its two mirrored videos' AU analyses (videos of their own, kind
    // aus, probed once written). Each hands its prepared CSV to the parent, which commits them.
    // With engine_options::consensus_tracks > 1, each face is analysed once per draw: a mirror
    // job's mirrored faces once written, an aus video from the start (it has no task of its
    // own then); the draws' CSVs go to partial names, the parent writes their median to
    // consensus_target.
    std::vector<size_t> children;
    std::optional<size_t> parent;
    int children_pending = 0;
    std::vector<std::unique_ptr<atomic_file>> prepared;
    std::filesystem::path consensus_target;  // a draw: the CSV its median is written to
    // Every followed CLNF fit starts this many float ulps away (segment_task).
    int start_offset_ulps = 0;
    video_result result;
    bool finished = false;
    int64_t frames_analysed = 0;
    int64_t progress_total = 0;
    int64_t next_progress = 0;
    std::optional<std::chrono::steady_clock::time_point> started;

    [[nodiscard]] int64_t segments() const {
      return bounds.empty() ? 0 : static_cast<int64_t>(bounds.size()) - 1;
    }
  };

  void report(size_t video, const char* stage, bool force);
  /// Adds an analysis of `job` (kind aus) whose CSV its parent commits: a mirror job's mirrored
  /// face, or (draw >= 0) consensus draw `draw` of a face, whose CSV goes to a partial name
  /// beside job.output_csv, where the parent writes the draws' median. Returns its index.
  size_t add_child(size_t parent, video_job job, int draw);
  /// Cuts the probed video into segments of `segment_frames` (segment_layout.h): its cold
  /// tasks. A mirrored face is chained instead (video_state::chained): mirror_chunk_frames
  /// long, only the first segment a cold task.
  std::vector<segment_task> cut(size_t index, video_state& video, int64_t segment_frames,
                                const std::string& late_input);
  void advance(size_t index, video_state& video, std::vector<segment_task>& queue);
  /// The task that carries the video's track into next_segment, handing it over to
  /// `reference` (the segment's cold track) where they agree; an empty reference never does.
  static segment_task carried_task(size_t index, const video_state& video,
                                   std::vector<analysed_frame> reference);
  void consume(video_state& video, segment_output& output);
  /// Whether the video writes OpenFace's HOG file, aligned faces or details file (a job's own
  /// aus video).
  [[nodiscard]] bool writes_openface_outputs(const video_state& video) const;
  /// Creates the video's HOG file and aligned-face folder writers, once.
  void open_openface_outputs(video_state& video) const;
  /// Streams the frames' HOG and aligned faces out (frame order) and drops the faces.
  void write_openface_outputs(video_state& video, std::vector<analysed_frame>& frames) const;
  /// Commits the HOG file, aligned faces and the details file of a complete video.
  void commit_openface_outputs(video_state& video) const;
  void queue(std::vector<segment_task> tasks, bool first);
  void complete(size_t index, std::unique_lock<std::mutex>& lock);
  /// A mirrored face's analysis `child` is complete with `csv`: the parent commits it with its
  /// own files once every child is (a consensus draw's CSV is committed at once, under its
  /// partial name, for the median).
  void finish_parent(size_t parent, size_t child, std::unique_ptr<atomic_file> csv);
  /// A video or mirror job whose faces were analysed once per draw (consensus_target): writes
  /// each face's median (consensus.h) of the draws' committed CSVs to its CSV and removes the
  /// draws. Returns the last face's counts (an aus video's one face).
  merged_csv write_consensus_csvs(const video_state& parent) const;
  static void plan_outputs(video_state& video);

  const analysis_models& models_;
  const engine_options& options_;
  std::vector<std::unique_ptr<video_state>> videos_;  // the jobs, then mirror jobs' children
  size_t jobs_ = 0;
  size_t initial_tasks_ = 0;

  std::mutex queue_mutex_;  // taken after a video's mutex, never before
  std::condition_variable queue_changed_;
  std::deque<segment_task> queue_;
  int64_t in_flight_ = 0;

  std::mutex progress_mutex_;
  std::atomic<int64_t> batch_done_{0};
  int64_t batch_total_ = 0;
};

}  // namespace facemirror::detail

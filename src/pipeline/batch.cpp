#include "batch.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

#include <opencv2/imgproc.hpp>

#include "facemirror/error.h"
#include "facemirror/features/au_descriptors.h"
#include "facemirror/io/image_reader.h"
#include "facemirror/mirror/mirror.h"
#include "facemirror/output/atomic_file.h"

#include "consensus.h"
#include "core/partial_path.h"
#include "mirror_tag.h"
#include "openface_details.h"
#include "segment_layout.h"

namespace facemirror::detail {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A video's failure as its one line: the message, led by the input where it does not name it
// (a full $TMPDIR's "cannot use a temporary file" said nothing of which video of a batch).
std::string naming_the_input(const std::filesystem::path& input, const std::string& message) {
  return message.find(input.string()) == std::string::npos ? "'" + input.string() + "': " + message
                                                           : message;
}

}  // namespace

batch::batch(const std::vector<video_job>& jobs, const engine_options& options,
             const analysis_models& models)
    : models_(models), options_(options), jobs_(jobs.size()) {
  std::vector<std::vector<segment_task>> segments_of(jobs.size());
  // Each video's tasks stay together (a batch completes video by video); see start_order.
  std::vector<int64_t> longest(jobs.size(), 0);  // 0 for a video that failed already
  for (size_t v = 0; v < jobs.size(); ++v) {
    auto state = std::make_unique<video_state>();
    state->job = jobs[v];
    state->result.input = jobs[v].input;
    state->result.output_csv = jobs[v].output_csv;
    state->start_offset_ulps = options.tracked_start_offset_ulps;
    videos_.push_back(std::move(state));
  }
  for (size_t v = 0; v < jobs.size(); ++v) {
    video_state& state = *videos_[v];
    try {
      state.info = probe_video(jobs[v].input);
      state.result.video_streams = state.info->video_streams;
      if (state.job.kind == job_kind::aus)
        state.frame_stride = options.frame_stride;
      const int64_t frames = analysed_frames(*state.info, state.frame_stride);
      state.result.frames = frames;
      plan_outputs(state);
      const int64_t length =
          state.job.kind == job_kind::mirror ? mirror_chunk_frames : options.segment_frames;
      const int draws = options.consensus_tracks;
      if (state.job.kind == job_kind::mirror && options.compute_aus) {
        // The mirrored videos have the source's frames; they are analysed once written.
        const mirror_outputs out =
            mirror_outputs_for(state.job.input, state.job.output_dir, state.info->reoriented());
        for (const auto& [video, csv] :
             {std::pair{out.right_video, out.right_csv}, std::pair{out.left_video, out.left_csv}}) {
          for (int d = 0; d < draws; ++d)
            add_child(v, {video, csv, job_kind::aus, {}}, draws > 1 ? d : -1);
        }
      }
      if (state.job.kind == job_kind::aus && draws > 1) {
        // Consensus: the video's draws are its children, queued now; it has no task of its own.
        for (int d = 0; d < draws; ++d) {
          const size_t c = add_child(v, state.job, d);
          video_state& child = *videos_[c];
          child.info = state.info;
          child.frame_stride = state.frame_stride;
          child.result.frames = frames;
          const std::vector<segment_task> tasks = cut(c, child, length, {});
          segments_of[v].insert(segments_of[v].end(), tasks.begin(), tasks.end());
          longest[v] = std::max(longest[v], longest_segment(child.bounds));
        }
        state.children_pending = draws;
        state.progress_total = frames * draws;
      } else {
        state.progress_total = frames * static_cast<int64_t>(1 + state.children.size());
        segments_of[v] = cut(v, state, length, {});
        longest[v] = longest_segment(state.bounds);
      }
      batch_total_ += state.progress_total;
    } catch (const std::exception& e) {
      state.finished = true;
      state.result.error = naming_the_input(state.job.input, e.what());
    }
  }
  for (const size_t v : start_order(longest))
    queue_.insert(queue_.end(), segments_of[v].begin(), segments_of[v].end());
  initial_tasks_ = queue_.size();
}

size_t batch::add_child(size_t parent, video_job job, int draw) {
  auto child = std::make_unique<video_state>();
  child->result.input = job.input;
  child->parent = parent;
  child->start_offset_ulps = options_.tracked_start_offset_ulps;
  if (draw >= 0) {
    child->consensus_target = job.output_csv;
    job.output_csv = partial_path(job.output_csv);
    child->start_offset_ulps = consensus_offset_ulps(draw);
  }
  child->job = std::move(job);
  const size_t index = videos_.size();
  videos_[parent]->children.push_back(index);
  videos_.push_back(std::move(child));
  return index;
}

std::vector<segment_task> batch::cut(size_t index, video_state& video, int64_t segment_frames,
                                     const std::string& late_input) {
  // A mirrored face (mirror_tag.h), whether the mirror job's own or a re-analysed file, is one
  // continuous track: chained segments of the mirror job's chunk length.
  video.chained = video.job.kind == job_kind::aus && is_mirrored_face(video.info->comment);
  video.bounds = segment_boundaries(analysed_frames(*video.info, video.frame_stride),
                                    video.chained ? mirror_chunk_frames : segment_frames);
  std::vector<segment_task> tasks;
  // A chained video's later segments are queued one by one as carried tasks (advance).
  const int64_t cold_segments =
      video.chained ? std::min<int64_t>(1, video.segments()) : video.segments();
  for (int64_t s = 0; s < cold_segments; ++s) {
    const auto at = static_cast<size_t>(s);
    tasks.push_back({index, s, video.bounds[at], video.bounds[at + 1], video.frame_stride, 0,
                     nullptr, late_input, video.start_offset_ulps});
  }
  return tasks;
}

std::optional<segment_task> batch::next_task(bool wait, const std::function<bool()>& should_stop) {
  std::unique_lock<std::mutex> lock(queue_mutex_);
  for (;;) {
    if (should_stop && should_stop())
      return std::nullopt;
    if (!queue_.empty()) {
      segment_task task = std::move(queue_.front());
      queue_.pop_front();
      ++in_flight_;
      return task;
    }
    if (!wait || in_flight_ == 0)
      return std::nullopt;
    // Woken when a task is queued or finished; the timeout notices should_stop.
    queue_changed_.wait_for(lock, std::chrono::milliseconds(100));
  }
}

void batch::task_finished() {
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    --in_flight_;
  }
  queue_changed_.notify_all();
}

void batch::queue(std::vector<segment_task> tasks, bool first) {
  if (tasks.empty())
    return;
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    queue_.insert(first ? queue_.begin() : queue_.end(), std::make_move_iterator(tasks.begin()),
                  std::make_move_iterator(tasks.end()));
  }
  queue_changed_.notify_all();
}

const video_info& batch::info(const segment_task& task) {
  video_state& video = *videos_[task.video];
  if (!video.info) {
    // Only in a worker process, whose copy of the batch was made before the parent probed
    // this video: probe it here too (the same file, so the same frame table).
    FACEMIRROR_CHECK(!task.late_input.empty(), "a task for a video that was never probed");
    video.info = probe_video(task.late_input);
  }
  return *video.info;
}

std::string batch::stem(size_t video) const {
  return input_stem(videos_[video]->job.input);
}

bool batch::wants(const segment_task& task) {
  video_state& video = *videos_[task.video];
  {
    std::lock_guard<std::mutex> lock(video.mutex);
    if (video.finished)
      return false;
    if (!video.started)
      video.started = std::chrono::steady_clock::now();
  }
  if (video.parent) {  // a consensus parent has no task of its own: its time starts here
    video_state& parent = *videos_[*video.parent];
    std::lock_guard<std::mutex> lock(parent.mutex);
    if (!parent.started)
      parent.started = std::chrono::steady_clock::now();
  }
  return true;
}

void batch::frame_done(size_t index) {
  // A mirrored video's analysis counts towards its mirror job.
  const size_t shown = videos_[index]->parent.value_or(index);
  {
    std::lock_guard<std::mutex> lock(videos_[shown]->mutex);
    // A segment done again (a retry, a damaged one redone on one thread) counts its frames
    // again; the count stops at the video's total rather than pass 100%.
    if (videos_[shown]->frames_analysed >= videos_[shown]->progress_total)
      return;
    ++videos_[shown]->frames_analysed;
  }
  ++batch_done_;
  // Mirror jobs mirror and analyse both faces; the stage names what the user asked.
  report(shown, videos_[shown]->job.kind == job_kind::mirror ? "mirroring" : "analysing", false);
}

std::optional<segment_task> batch::deliver(const segment_task& task, segment_output output) {
  video_state& video = *videos_[task.video];
  std::vector<segment_task> carried;
  try {
    std::unique_lock<std::mutex> lock(video.mutex);
    if (video.finished)
      return std::nullopt;
    // The per-video mutex makes whoever delivers a segment the video's single in-order stage.
    if (task.carried) {
      FACEMIRROR_CHECK(task.segment == video.next_segment && !video.carried,
                       "carried segment out of turn");
      video.carried = std::move(output);
    } else {
      FACEMIRROR_CHECK(task.segment >= video.next_segment && video.waiting.count(task.segment) == 0,
                       "segment delivered twice");
      video.waiting.emplace(task.segment, std::move(output));
    }
    advance(task.video, video, carried);
    if (video.next_segment == video.segments())
      complete(task.video, lock);
  } catch (const std::exception& e) {
    fail(task.video, e.what());
    return std::nullopt;
  }
  if (carried.size() == 1 && carried.front().first_frame == task.end_frame) {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    ++in_flight_;
    return std::move(carried.front());
  }
  queue(std::move(carried), true);
  return std::nullopt;
}

segment_task batch::carried_task(size_t index, const video_state& video,
                                 std::vector<analysed_frame> reference) {
  auto carried = std::make_shared<handover>();
  carried->state = video.tail_state;
  carried->before = video.tail;
  carried->reference = std::move(reference);
  const auto at = static_cast<size_t>(video.next_segment);
  segment_task task;
  task.video = index;
  task.segment = video.next_segment;
  task.first_frame = video.bounds[at];
  task.end_frame = video.bounds[at + 1];
  task.frame_stride = video.frame_stride;
  task.carried = std::move(carried);
  task.late_input = video.info->path.string();
  task.start_offset_ulps = video.start_offset_ulps;
  return task;
}

void batch::advance(size_t index, video_state& video, std::vector<segment_task>& queue) {
  while (video.next_segment < video.segments()) {
    if (video.chained && video.next_segment > 0) {
      // One continuous track: every segment after the first continues the video's track.
      if (!video.carried) {
        if (!video.carried_queued) {
          queue.push_back(carried_task(index, video, {}));
          video.carried_queued = true;
        }
        return;
      }
      consume(video, *video.carried);
      video.carried.reset();
      video.carried_queued = false;
      ++video.next_segment;
      continue;
    }
    const auto it = video.waiting.find(video.next_segment);
    if (it == video.waiting.end())
      return;
    segment_output& cold = it->second;
    const int64_t first = video.bounds[static_cast<size_t>(video.next_segment)];
    const int64_t end = video.bounds[static_cast<size_t>(video.next_segment) + 1];
    const bool continues = video.next_segment == 0 ||
                           (cold.lead_in && !video.tail.empty() &&
                            tracks_agree(*cold.lead_in, video.tail.back().record,
                                         video.job.kind == job_kind::mirror ? mirror_handover_max_px
                                                                            : handover_max_px));
    if (!continues) {
      if (!video.carried) {
        if (!video.carried_queued) {
          std::vector<analysed_frame> reference;
          reference.reserve(cold.frames.size());
          for (const analysed_frame& f : cold.frames)
            reference.push_back({f.record, std::nullopt});
          queue.push_back(carried_task(index, video, std::move(reference)));
          video.carried_queued = true;
        }
        return;
      }
      // The video's track carried on to handover_frame; the cold track from there.
      segment_output& track = *video.carried;
      const auto from = static_cast<size_t>(track.handover_frame - first);
      std::move(cold.frames.begin() + static_cast<std::ptrdiff_t>(from), cold.frames.end(),
                std::back_inserter(track.frames));
      if (track.handover_frame < end)
        track.end_state = std::move(cold.end_state);
      cold = std::move(track);
      video.carried.reset();
      video.carried_queued = false;
    }
    consume(video, cold);
    video.waiting.erase(it);
    ++video.next_segment;
  }
}

void batch::consume(video_state& video, segment_output& output) {
  if (video.tables.empty() && video.muxers.empty()) {
    if (video.job.kind == job_kind::aus)
      video.tables.push_back(
          std::make_unique<csv_stream>(models_, options_.outputs, video.frame_stride));
    const cv::Size size(video.info->width, video.info->height);
    for (size_t i = 0; i < video.video_paths.size(); ++i) {
      // The upright source keeps the source's sound, as S1's re-encode (-c:a copy) did: later
      // steps (S2's action coder) read the examiner's commands from it.
      const bool upright_source = video.job.kind == job_kind::mirror &&
                                  i == video.video_paths.size() - 1 && !video.copy &&
                                  video.info->reoriented();
      video.muxers.push_back(std::make_unique<chunk_muxer>(
          video.video_paths[i], *video.info, size, video.video_comments[i],
          upright_source ? video.job.input : std::filesystem::path()));
    }
  }
  FACEMIRROR_CHECK(output.videos.size() == video.muxers.size(), "segment has the wrong outputs");
  for (const auto& frame : output.frames) {
    video.result.successful_frames += frame.record.success ? 1 : 0;
    video.result.note_damage(frame.record.index, frame.damage);
    video.tail.push_back({frame.record, std::nullopt});
  }
  if (video.job.kind == job_kind::mirror) {
    if (video.head_pose.empty())
      video.head_pose = "frame,timestamp,success,confidence,yaw_deg\n";
    for (const auto& frame : output.frames) {
      const frame_record& r = frame.record;
      // The mirror worker's source records carry no timestamp: the frame table has it.
      const double timestamp = video.info->timestamps_s[static_cast<size_t>(r.index)];
      char row[96];
      std::snprintf(row, sizeof(row), "%lld,%.3f,%d,%.2f,%.2f\n",
                    static_cast<long long>(r.index + 1), timestamp, r.success ? 1 : 0, r.confidence,
                    r.success ? mirroring_yaw_deg(r.pose) : 0.0);
      video.head_pose += row;
    }
  }
  const auto keep = static_cast<size_t>(std::max(1, options_.warmup_frames));
  if (video.tail.size() > keep)
    video.tail.erase(video.tail.begin(), video.tail.end() - static_cast<std::ptrdiff_t>(keep));
  video.tail_state = std::move(output.end_state);
  if (writes_openface_outputs(video))
    write_openface_outputs(video, output.frames);
  if (!video.tables.empty()) {
    for (auto& frame : output.frames)
      video.tables[0]->add(frame);
  }
  // Encoded segments go straight to disk: memory holds one segment's packets, not the video.
  for (size_t i = 0; i < output.videos.size(); ++i)
    video.muxers[i]->append(output.videos[i]);
}

bool batch::writes_openface_outputs(const video_state& video) const {
  return video.job.kind == job_kind::aus && !video.parent &&
         (options_.write_hog || options_.write_aligned_faces || options_.write_of_details);
}

void batch::open_openface_outputs(video_state& video) const {
  const openface_outputs out = openface_outputs_for(video.job.output_csv);
  if (options_.write_hog && !video.hog)
    video.hog = std::make_unique<hog_file_writer>(out.hog);
  if (options_.write_aligned_faces && !video.aligned)
    video.aligned =
        std::make_unique<aligned_face_folder>(out.aligned_folder, options_.aligned.format);
}

void batch::write_openface_outputs(video_state& video, std::vector<analysed_frame>& frames) const {
  open_openface_outputs(video);
  if (!video.hog && !video.aligned)
    return;  // the details file alone, written when the video is complete
  for (analysed_frame& frame : frames) {
    FACEMIRROR_CHECK(frame.features.has_value(), "OpenFace outputs need the AU features");
    if (video.hog) {
      const std::vector<float>& hog = frame.features->hog;
      // A square grid of cells (12 x 12 for OpenFace's 112-pixel face and cell 8).
      const int cells = static_cast<int>(
          std::lround(std::sqrt(static_cast<double>(hog.size()) / fhog_orientations)));
      FACEMIRROR_CHECK(static_cast<size_t>(cells * cells * fhog_orientations) == hog.size(),
                       "HOG of a non-square face");
      video.hog->add(hog, cells, cells, fhog_orientations, frame.features->success);
    }
    if (video.aligned && (frame.record.success || !options_.aligned.skip_failed)) {
      FACEMIRROR_CHECK(!frame.aligned_face.empty(), "aligned face missing");
      cv::Mat face = frame.aligned_face;
      if (options_.aligned.grey)
        cv::cvtColor(face, face, cv::COLOR_BGR2GRAY);
      video.aligned->add(frame.record.index + 1, face);  // the container's number
    }
    frame.aligned_face.release();  // the folder has it: memory holds segments, not the video
  }
}

void batch::commit_openface_outputs(video_state& video) const {
  open_openface_outputs(video);  // a video without frames still gets its (empty) outputs
  const of_details details =
      openface_details(video.job, options_, video.info->width, video.info->height,
                       video.hog != nullptr, video.aligned != nullptr);
  if (video.hog)
    video.hog->commit();
  if (video.aligned)
    video.aligned->commit();
  write_openface_details(details, video.job);
  video.hog.reset();
  video.aligned.reset();
}

void batch::plan_outputs(video_state& video) {
  if (video.job.kind == job_kind::aus)
    return;
  const bool rotated = video.info->reoriented();
  const mirror_outputs out = mirror_outputs_for(video.job.input, video.job.output_dir, rotated);
  video.video_paths = {out.right_video, out.left_video, out.debug_video};
  const std::string mirrored = mirrored_comment();
  video.video_comments = {mirrored, mirrored, ""};
  if (rotated) {
    video.video_paths.push_back(out.source_video);
    video.video_comments.emplace_back();
  } else {
    video.copy.emplace(video.job.input, out.source_video);  // bit-exact, audio included
  }
}

void batch::complete(size_t index, std::unique_lock<std::mutex>& lock) {
  video_state& video = *videos_[index];
  lock.unlock();
  report(index, "writing", true);
  lock.lock();
  if (video.finished)
    return;
  // Every file is written whole or not at all.
  std::unique_ptr<atomic_file> csv;
  if (!video.tables.empty()) {
    csv = std::make_unique<atomic_file>(video.job.output_csv);
    video.tables[0]->write_to(*csv);
  }
  std::unique_ptr<atomic_file> head_pose;
  if (video.job.kind == job_kind::mirror) {
    const mirror_outputs out =
        mirror_outputs_for(video.job.input, video.job.output_dir, video.info->reoriented());
    head_pose = std::make_unique<atomic_file>(out.head_pose_csv);
    head_pose->write(video.head_pose);
    video.head_pose.clear();
  }
  for (auto& muxer : video.muxers)
    muxer->finish();
  video.tables.clear();  // frees the finished video's in-order state
  video.muxers.clear();
  video.waiting.clear();
  video.tail.clear();
  if (video.parent) {
    // A mirrored video's analysis: its parent commits the CSV with its own files.
    video.finished = true;
    video.result.ok = true;
    lock.unlock();
    finish_parent(*video.parent, index, std::move(csv));
    return;
  }
  if (!video.children.empty()) {
    // The mirrored videos are written: analyse them as `facemirror aus` would read them, ahead
    // of other videos, so that a batch completes video by video.
    video.children_pending = static_cast<int>(video.children.size());
    video.committed_videos = video.video_paths;
    video.prepared.push_back(std::move(head_pose));
    lock.unlock();
    std::vector<segment_task> tasks;
    for (const size_t c : video.children) {
      video_state& child = *videos_[c];
      std::lock_guard<std::mutex> child_lock(child.mutex);
      child.info = probe_video(child.job.input);
      child.result.frames = child.info->frame_count();
      const std::vector<segment_task> segments =
          cut(c, child, options_.segment_frames, child.job.input.string());
      tasks.insert(tasks.end(), segments.begin(), segments.end());
    }
    queue(std::move(tasks), true);
    return;
  }
  if (writes_openface_outputs(video))
    commit_openface_outputs(video);
  if (csv)
    csv->commit();
  if (head_pose)
    head_pose->commit();
  if (video.copy)
    atomic_copy(video.copy->first, video.copy->second)->commit();
  video.finished = true;
  video.result.ok = true;
  video.result.seconds = seconds_since(*video.started);
  const video_result result = video.result;
  lock.unlock();
  report(index, "done", true);
  if (options_.on_video_done)
    options_.on_video_done(result);
}

void batch::finish_parent(size_t index, size_t child, std::unique_ptr<atomic_file> csv) {
  video_state& video = *videos_[index];
  video_result result;
  try {
    std::unique_lock<std::mutex> lock(video.mutex);
    if (video.finished)
      return;
    const std::vector<std::string>& retried = videos_[child]->result.retried;
    video.result.retried.insert(video.result.retried.end(), retried.begin(), retried.end());
    if (videos_[child]->consensus_target.empty())
      video.prepared.push_back(std::move(csv));
    else
      csv->commit();  // under the parent's lock: fail() removes it after, if it comes to that
    if (--video.children_pending > 0)
      return;
    // The draws' medians first: a face that cannot be written leaves no other file.
    const merged_csv merged = write_consensus_csvs(video);
    if (video.job.kind == job_kind::aus) {  // its draws' median is the video's CSV
      video.result.successful_frames = merged.successful;
      // Every draw decoded the same frames.
      video.result.concealed_frames = videos_[child]->result.concealed_frames;
      video.result.missing_frames = videos_[child]->result.missing_frames;
    }
    for (auto& file : video.prepared)
      file->commit();
    video.prepared.clear();
    if (video.job.kind == job_kind::aus && options_.write_of_details) {  // a consensus's CSV
      if (!video.info)
        video.info = probe_video(video.job.input);
      write_openface_details(openface_details(video.job, options_, video.info->width,
                                              video.info->height, false, false),
                             video.job);
    }
    if (video.copy)
      atomic_copy(video.copy->first, video.copy->second)->commit();
    video.finished = true;
    video.result.ok = true;
    video.result.seconds = seconds_since(*video.started);
    result = video.result;
  } catch (const std::exception& e) {
    fail(index, e.what());
    return;
  }
  report(index, "done", true);
  if (options_.on_video_done)
    options_.on_video_done(result);
}

merged_csv batch::write_consensus_csvs(const video_state& parent) const {
  merged_csv merged;
  std::vector<std::filesystem::path> draws;
  const auto remove_draws = [&draws] {
    for (const auto& draw : draws) {
      std::error_code ignored;
      std::filesystem::remove(draw, ignored);
    }
  };
  try {
    // Children are in face order, each face's draws in draw order.
    for (size_t k = 0; k < parent.children.size(); ++k) {
      const video_state& child = *videos_[parent.children[k]];
      if (child.consensus_target.empty())
        continue;
      draws.push_back(child.job.output_csv);
      const bool last_of_face =
          k + 1 == parent.children.size() ||
          videos_[parent.children[k + 1]]->consensus_target != child.consensus_target;
      if (last_of_face) {
        merged = write_median_csv(draws, child.consensus_target);
        remove_draws();
        draws.clear();
      }
    }
  } catch (...) {
    remove_draws();
    throw;
  }
  return merged;
}

void batch::note_retry(size_t index, const std::string& reason) {
  video_state& video = *videos_[index];
  std::lock_guard<std::mutex> lock(video.mutex);
  video.result.retried.push_back(naming_the_input(video.job.input, reason));
}

void batch::fail(size_t index, const std::string& message) {
  video_state& video = *videos_[index];
  std::optional<size_t> parent;
  std::vector<size_t> children;
  {
    std::lock_guard<std::mutex> lock(video.mutex);
    if (video.finished)
      return;
    video.finished = true;
    video.result.error = naming_the_input(video.job.input, message);
    // A failure once the run is stopping is taken for the stop's (a later run redoes it).
    video.result.interrupted = options_.should_abort && options_.should_abort();
    video.waiting.clear();
    video.carried.reset();
    video.tables.clear();
    video.hog.reset();  // removes their partial files
    video.aligned.reset();
    video.muxers.clear();  // removes their partial files
    video.prepared.clear();
    video.remove_committed_videos();
    parent = video.parent;
    children = video.children;
  }
  // A mirror job fails with its mirrored videos' analyses (named after the job's input, the
  // file the user gave), and they with it.
  if (parent) {
    const std::string named = "'" + videos_[*parent]->job.input.string() + "': ";
    fail(*parent, message.rfind(named, 0) == 0 ? message : named + message);
  }
  for (const size_t c : children) {
    std::lock_guard<std::mutex> lock(videos_[c]->mutex);
    videos_[c]->finished = true;
    videos_[c]->waiting.clear();
    videos_[c]->tables.clear();
    if (!videos_[c]->consensus_target.empty()) {  // a draw's CSV, committed for the median
      std::error_code ignored;
      std::filesystem::remove(videos_[c]->job.output_csv, ignored);
    }
  }
  if (index < jobs_)
    report(index, "failed", true);
}

void batch::report(size_t index, const char* stage, bool force) {
  if (!options_.on_progress || index >= jobs_)
    return;
  video_state& video = *videos_[index];
  progress_event event;
  {
    std::lock_guard<std::mutex> lock(video.mutex);
    if (!force && video.frames_analysed < video.next_progress)
      return;
    video.next_progress = video.frames_analysed + options_.progress_interval_frames;
    event.frames_done = video.frames_analysed;
    event.frames_total = video.progress_total;
  }
  event.video = index;
  event.input = video.job.input;
  event.batch_frames_done = batch_done_;  // the engine adds the total and the rate
  event.stage = stage;
  std::lock_guard<std::mutex> lock(progress_mutex_);
  options_.on_progress(event);
}

std::vector<video_result> batch::results() {
  // A run stopped (Ctrl-C, the app's Cancel) leaves videos it never reached without a reason
  // of their own: they were interrupted, not found short of frames.
  const bool stopped = options_.should_abort && options_.should_abort();
  std::vector<video_result> out;
  for (size_t v = 0; v < jobs_; ++v) {
    video_state& video = *videos_[v];
    std::lock_guard<std::mutex> lock(video.mutex);
    if (!video.result.ok && video.result.error.empty()) {
      video.result.error = "'" + video.job.input.string() +
                           "': " + (stopped ? "interrupted" : "not all frames were processed");
      video.result.interrupted = stopped;
    }
    // A stop between a mirror job's videos and their analyses fails no task: nothing called
    // fail(), which removes them.
    if (!video.result.ok)
      video.remove_committed_videos();
    out.push_back(video.result);
  }
  return out;
}

}  // namespace facemirror::detail

namespace facemirror {

openface_outputs openface_outputs_for(const std::filesystem::path& output_csv) {
  const std::filesystem::path dir = output_csv.parent_path();
  const std::string stem = output_csv.stem().string();
  return {dir / (stem + ".hog"), dir / (stem + "_aligned"), dir / (stem + "_of_details.txt")};
}

std::string input_stem(const std::filesystem::path& input) {
  std::filesystem::path named = input.has_filename() ? input : input.parent_path();
  std::error_code ec;
  // ".", "frames/." and ".." name the folder they lead to (a script run inside its frame
  // folder), not a file called "." whose outputs would be "..csv".
  if (named.filename() == "." || named.filename() == "..") {
    const std::filesystem::path resolved = std::filesystem::absolute(named, ec).lexically_normal();
    if (!ec)
      named = resolved.has_filename() ? resolved : resolved.parent_path();
  }
  return std::filesystem::is_directory(named, ec) ? named.filename().string()
                                                  : named.stem().string();
}

mirror_outputs mirror_outputs_for(const std::filesystem::path& input,
                                  const std::filesystem::path& dir, bool rotated) {
  const std::string stem = input_stem(input);
  const std::string picture = is_image_file(input) ? ".png" : ".mp4";
  mirror_outputs out;
  out.right_video = dir / (stem + "_right_mirrored" + picture);
  out.left_video = dir / (stem + "_left_mirrored" + picture);
  out.debug_video = dir / (stem + "_debug" + picture);
  out.right_csv = dir / (stem + "_right_mirrored.csv");
  out.left_csv = dir / (stem + "_left_mirrored.csv");
  out.head_pose_csv = dir / (stem + "_head_pose.csv");
  // A photograph is copied as it is, whatever its orientation tag: no video to re-encode.
  const bool reencoded = rotated && !is_image_file(input);
  out.source_video =
      dir / (stem + "_source" + (reencoded ? std::string(".mp4") : input.extension().string()));
  return out;
}

}  // namespace facemirror

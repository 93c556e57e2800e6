#include "still_images.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "facemirror/analysis/image_analyzer.h"
#include "facemirror/analysis/multi_face_session.h"
#include "facemirror/error.h"
#include "facemirror/io/image_reader.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/output/atomic_file.h"
#include "facemirror/output/csv_writer.h"

namespace facemirror::detail {
namespace {

csv_columns columns_of(const analysis_models& models, const engine_options& options,
                       csv_layout layout) {
  csv_columns columns;
  columns.layout = layout;
  columns.outputs = options.outputs;
  columns.mode_count = models.pdm->mode_count();
  if (models.aus) {
    columns.au_intensity_names = models.aus->intensity_names();
    columns.au_presence_names = models.aus->presence_names();
  } else {
    columns.outputs.aus = false;
  }
  return columns;
}

/// One input's analysis on a worker: its frames and successful rows (its CSV is written to the
/// atomic_file it is given as it goes: a long video's rows need not fit in memory).
struct whole_output {
  int64_t frames = 0;
  int64_t successful = 0;
};
/// Reports `frames_done` of `frames_total` of the input in progress; false: stop (interrupted).
using frame_progress = std::function<bool(int64_t frames_done, int64_t frames_total)>;
using whole_analysis =
    std::function<whole_output(const video_job&, atomic_file& csv, const frame_progress&)>;

// The worker threads' loop over the inputs analysed whole: each input's CSV written
// atomically, a failure confined to its input and named, progress reported one event at a time.
void run_whole(const std::vector<video_job>& jobs, const std::vector<size_t>& inputs,
               const engine_options& options, int workers, std::vector<video_result>& results,
               const whole_analysis& analyse) {
  std::atomic<size_t> next{0};
  std::mutex report_mutex;  // progress callbacks one at a time
  const auto started = std::chrono::steady_clock::now();
  std::atomic<int64_t> batch_done{0};
  int64_t batch_total = 0;
  for (size_t i : inputs)
    batch_total += std::max<int64_t>(1, results[i].frames);

  const auto report = [&](size_t i, int64_t done, int64_t total, const char* stage) {
    if (!options.on_progress)
      return;
    progress_event event;
    event.video = i;
    event.input = jobs[i].input;
    event.frames_done = done;
    event.frames_total = total;
    event.batch_frames_done = batch_done;
    event.batch_frames_total = batch_total;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    event.fps = seconds > 0 ? static_cast<double>(event.batch_frames_done) / seconds : 0.0;
    event.stage = stage;
    std::lock_guard<std::mutex> lock(report_mutex);
    options.on_progress(event);
  };
  auto work = [&] {
    for (size_t k = next++; k < inputs.size(); k = next++) {
      const size_t i = inputs[k];
      const video_job& job = jobs[i];
      video_result& r = results[i];
      r.input = job.input;
      r.output_csv = job.output_csv;
      const int64_t planned = std::max<int64_t>(1, r.frames);
      if (options.should_abort && options.should_abort()) {
        r.error = job.input.string() + ": interrupted";
        continue;
      }
      const auto start = std::chrono::steady_clock::now();
      int64_t counted = 0;  // frames of this input already in batch_done
      try {
        atomic_file file(job.output_csv);
        const whole_output out = analyse(job, file, [&](int64_t done, int64_t total) {
          batch_done += done - counted;
          counted = done;
          if (done % std::max(1, options.progress_interval_frames) == 0)
            report(i, done, total, "analysing");
          return !(options.should_abort && options.should_abort());
        });
        file.commit();
        r.ok = true;
        r.frames = out.frames;
        r.successful_frames = out.successful;
      } catch (const std::exception& e) {
        // One line naming the file, as for videos (the readers' errors already name it).
        const std::string why = e.what(), name = job.input.string();
        r.error = why.find(name) == std::string::npos ? name + ": " + why : why;
      }
      batch_done += planned - std::min(counted, planned);
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      report(i, r.ok ? r.frames : counted, r.ok ? r.frames : planned, r.ok ? "done" : "failed");
    }
  };
  std::vector<std::thread> threads;
  const int n = std::max(1, std::min<int>(workers, static_cast<int>(inputs.size())));
  for (int t = 1; t < n; ++t)
    threads.emplace_back(work);
  work();
  for (std::thread& t : threads)
    t.join();
}

}  // namespace

void run_still_images(const std::vector<video_job>& jobs, const std::vector<size_t>& images,
                      const analysis_models& models, const engine_options& options, int workers,
                      std::vector<video_result>& results) {
  if (images.empty())
    return;
  std::optional<image_analyzer> analyzer;
  try {
    // Borrowed: the engine keeps `models` alive for the whole run.
    analyzer.emplace(std::shared_ptr<const analysis_models>(&models, [](const auto*) {}));
  } catch (const error& e) {  // e.g. --landmarks dlib: no CLNF to fit still images with
    for (size_t i : images) {
      results[i].input = jobs[i].input;
      results[i].error = jobs[i].input.string() + ": " + e.what();
    }
    return;
  }
  const csv_columns columns = columns_of(models, options, csv_layout::still_image);
  run_whole(
      jobs, images, options, workers, results,
      [&](const video_job& job, atomic_file& csv, const frame_progress&) {
        whole_output out;
        std::string text = csv_header(columns);
        for (const frame_record& face : analyzer->analyze(read_image(job.input), options.camera)) {
          append_csv_row(text, face, columns);
          out.successful += face.success ? 1 : 0;
        }
        csv.write(text);
        out.frames = 1;
        return out;
      });
}

void run_multi_face_videos(const std::vector<video_job>& jobs, const std::vector<size_t>& videos,
                           const analysis_models& models, const engine_options& options,
                           int workers, std::vector<video_result>& results) {
  if (videos.empty())
    return;
  // Borrowed: the engine keeps `models` alive for the whole run.
  const std::shared_ptr<const analysis_models> shared(&models, [](const auto*) {});
  multi_face_options multi;
  multi.max_faces = options.max_faces;
  const csv_columns columns = columns_of(models, options, csv_layout::multi_face_video);
  for (size_t i : videos) {
    try {  // the frame counts first, for the batch's progress
      results[i].frames = probe_video(jobs[i].input).frame_count();
    } catch (const std::exception&) {
      results[i].frames = 0;  // fails again, with its reason, when analysed
    }
  }
  run_whole(jobs, videos, options, workers, results,
            [&](const video_job& job, atomic_file& csv, const frame_progress& progress) {
              video_reader reader(probe_video(job.input));
              const int64_t total = reader.info().frame_count();
              multi_face_session session(shared, multi, options.camera);
              whole_output out;
              csv.write(csv_header(columns));
              std::string rows;
              while (auto frame = reader.read()) {
                rows.clear();
                bool found = false;
                for (const frame_record& face : session.track(frame->bgr, frame->timestamp_s)) {
                  append_csv_row(rows, face, columns);
                  found = found || face.success;
                }
                out.successful += found ? 1 : 0;
                csv.write(rows);
                ++out.frames;
                if (!progress(out.frames, total))
                  throw error(error_code::io, "'" + job.input.string() + "': interrupted");
              }
              return out;
            });
}

}  // namespace facemirror::detail

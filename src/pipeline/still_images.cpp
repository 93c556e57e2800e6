#include "still_images.h"

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "facemirror/analysis/image_analyzer.h"
#include "facemirror/error.h"
#include "facemirror/io/image_reader.h"
#include "facemirror/output/atomic_file.h"
#include "facemirror/output/csv_writer.h"

namespace facemirror::detail {
namespace {

std::string still_image_csv(const analysis_models& models, const std::vector<frame_record>& faces,
                            const engine_options& options) {
  csv_columns columns;
  columns.layout = csv_layout::still_image;
  columns.outputs = options.outputs;
  columns.mode_count = models.pdm->mode_count();
  if (models.aus) {
    columns.au_intensity_names = models.aus->intensity_names();
    columns.au_presence_names = models.aus->presence_names();
  } else {
    columns.outputs.aus = false;
  }
  std::string text = csv_header(columns);
  for (const frame_record& face : faces)
    append_csv_row(text, face, columns);
  return text;
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
  std::atomic<size_t> next{0};
  std::mutex report_mutex;  // progress callbacks one at a time
  const auto started = std::chrono::steady_clock::now();
  std::atomic<int64_t> done{0};

  auto work = [&] {
    for (size_t k = next++; k < images.size(); k = next++) {
      const size_t i = images[k];
      const video_job& job = jobs[i];
      video_result& r = results[i];
      r.input = job.input;
      r.output_csv = job.output_csv;
      if (options.should_abort && options.should_abort()) {
        r.error = job.input.string() + ": interrupted";
        continue;
      }
      const auto start = std::chrono::steady_clock::now();
      try {
        const std::vector<frame_record> faces =
            analyzer->analyze(read_image(job.input), options.camera);
        atomic_file out(job.output_csv);
        out.write(still_image_csv(models, faces, options));
        out.commit();
        r.ok = true;
        r.frames = 1;
        for (const frame_record& face : faces)
          r.successful_frames += face.success ? 1 : 0;
      } catch (const std::exception& e) {
        // One line naming the file, as for videos (the readers' errors already name it).
        const std::string why = e.what(), file = job.input.string();
        r.error = why.find(file) == std::string::npos ? file + ": " + why : why;
      }
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const int64_t finished = ++done;
      if (options.on_progress) {
        progress_event event;
        event.video = i;
        event.input = job.input;
        event.frames_done = event.frames_total = 1;
        event.batch_frames_done = finished;
        event.batch_frames_total = static_cast<int64_t>(images.size());
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        event.fps = seconds > 0 ? static_cast<double>(finished) / seconds : 0.0;
        event.stage = r.ok ? "done" : "failed";
        std::lock_guard<std::mutex> lock(report_mutex);
        options.on_progress(event);
      }
    }
  };
  std::vector<std::thread> threads;
  const int n = std::max(1, std::min<int>(workers, static_cast<int>(images.size())));
  for (int t = 1; t < n; ++t)
    threads.emplace_back(work);
  work();
  for (std::thread& t : threads)
    t.join();
}

}  // namespace facemirror::detail

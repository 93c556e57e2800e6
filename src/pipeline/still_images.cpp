#include "still_images.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <opencv2/imgcodecs.hpp>

#include "facemirror/analysis/image_analyzer.h"
#include "facemirror/analysis/multi_face_session.h"
#include "facemirror/error.h"
#include "facemirror/io/image_reader.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/mirror/mirror.h"
#include "facemirror/output/atomic_file.h"
#include "facemirror/output/csv_writer.h"

#include "openface_details.h"
#include "segment_layout.h"

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

std::string still_image_csv(const analysis_models& models, const std::vector<frame_record>& faces,
                            const engine_options& options) {
  const csv_columns columns = columns_of(models, options, csv_layout::still_image);
  std::string text = csv_header(columns);
  for (const frame_record& face : faces)
    append_csv_row(text, face, columns);
  return text;
}

void write_still_image_csv(const image_analyzer& analyzer, const analysis_models& models,
                           const video_job& job, const engine_options& options,
                           video_result& result) {
  const cv::Mat image = read_image(job.input);
  const std::vector<frame_record> faces =
      analyzer.analyze(image, options.camera.for_frame(image.cols, image.rows));
  const bool csv_written = !faces.empty() || !options.skip_faceless_csv;
  if (csv_written) {
    atomic_file out(job.output_csv);
    out.write(still_image_csv(models, faces, options));
    out.commit();
  }
  if (options.write_of_details) {
    write_openface_details(
        openface_details(job, options, image.cols, image.rows, false, false, csv_written), job);
  }
  result.frames = 1;
  // Every face found is a row, the validator's doubt being its confidence (FaceLandmarkImg's
  // CSV has no success column): the CLI's "3 faces" are the CSV's three rows.
  result.successful_frames = static_cast<int64_t>(faces.size());
}

double jaw_width(const frame_record& face) {
  return cv::norm(face.landmarks[16] - face.landmarks[0]);
}

std::unique_ptr<atomic_file> png_file(const cv::Mat& bgr, const std::filesystem::path& path) {
  std::vector<unsigned char> bytes;
  if (!cv::imencode(".png", bgr, bytes))
    throw error(error_code::codec, "cannot encode '" + path.string() + "' as PNG");
  auto file = std::make_unique<atomic_file>(path);
  file->write(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  return file;
}

// The mirrored face in a mirrored image: of the faces found there (FaceLandmarkImg's rules, so
// `facemirror aus` on the written image lists the same faces), the one nearest where the source
// face was, if it is within the source's jaw width of it: a mirrored face is symmetric about
// the midline through the source face, so its centre stays near the source's (3-19 px on the
// shared photos, under a tenth of the jaw), while the nearest of the others can be another
// person's face (sample2.jpg's left mirrored image: 870 px away, its own face not found). No
// face there: the CSV has the header only. A face keeps its place in the list as its `face`
// number.
std::string mirrored_face_csv(const image_analyzer& analyzer, const analysis_models& models,
                              const cv::Mat& mirrored, const frame_record& source,
                              const engine_options& options) {
  const std::vector<frame_record> faces =
      analyzer.analyze(mirrored, options.camera.for_frame(mirrored.cols, mirrored.rows));
  const cv::Point2d centre = landmark_centroid(source.landmarks);
  const frame_record* nearest = nullptr;
  double best = std::numeric_limits<double>::infinity();
  for (const frame_record& face : faces) {
    const double distance = cv::norm(landmark_centroid(face.landmarks) - centre);
    if (distance < best) {
      best = distance;
      nearest = &face;
    }
  }
  if (nearest == nullptr || best > jaw_width(source))
    return still_image_csv(models, {}, options);
  return still_image_csv(models, {*nearest}, options);
}

void mirror_still_image(const image_analyzer& analyzer, const analysis_models& models,
                        const video_job& job, const engine_options& options, video_result& result) {
  const cv::Mat bgr = read_image(job.input);
  const std::vector<frame_record> faces =
      analyzer.analyze(bgr, options.camera.for_frame(bgr.cols, bgr.rows));
  const frame_record* source = nullptr;
  for (const frame_record& face : faces) {
    if (face.success && (source == nullptr || jaw_width(face) > jaw_width(*source)))
      source = &face;
  }
  const std::optional<midline> line =
      source ? midline_from_landmarks(source->landmarks) : std::optional<midline>();
  if (!line) {
    throw error(error_code::invalid_argument,
                job.input.string() + ": no face to mirror" +
                    (faces.empty() ? std::string(" (none found)")
                                   : " (" + std::to_string(faces.size()) +
                                         " found, none passed the landmark validator)"));
  }
  const mirrored_faces mirrored = mirror_faces(bgr, *line);
  const double yaw_deg = mirroring_yaw_deg(source->pose);
  const mirror_outputs out = mirror_outputs_for(job.input, job.output_dir, false);
  // PNG is lossless: `facemirror aus` on a written image sees the pixels measured here.
  std::vector<std::unique_ptr<atomic_file>> files;
  files.push_back(png_file(mirrored.right_mirrored, out.right_video));
  files.push_back(png_file(mirrored.left_mirrored, out.left_video));
  files.push_back(
      png_file(draw_debug_frame(bgr, line, &source->landmarks, yaw_deg), out.debug_video));
  files.push_back(atomic_copy(job.input, out.source_video));
  char pose_row[96];
  std::snprintf(pose_row, sizeof(pose_row), "1,0.000,1,%.2f,%.2f\n", source->confidence, yaw_deg);
  files.push_back(std::make_unique<atomic_file>(out.head_pose_csv));
  files.back()->write(std::string("frame,timestamp,success,confidence,yaw_deg\n") + pose_row);
  if (models.aus) {
    files.push_back(std::make_unique<atomic_file>(out.right_csv));
    files.back()->write(
        mirrored_face_csv(analyzer, models, mirrored.right_mirrored, *source, options));
    files.push_back(std::make_unique<atomic_file>(out.left_csv));
    files.back()->write(
        mirrored_face_csv(analyzer, models, mirrored.left_mirrored, *source, options));
  }
  for (auto& file : files)
    file->commit();
  result.frames = 1;
  result.successful_frames = 1;
}

/// The frames an input counts for in the progress: a still image or unreadable video one.
int64_t progress_frames(const video_result& planned) {
  return std::max<int64_t>(1, planned.frames);
}

/// Reports `frames_done` of `frames_total` of the input in progress; false: stop (interrupted).
using frame_progress = std::function<bool(int64_t frames_done, int64_t frames_total)>;
/// One input's analysis on a worker: writes and commits its outputs (each atomically) and sets
/// the result's frames and successful_frames; throws on failure.
using whole_analysis = std::function<void(const video_job&, video_result&, const frame_progress&)>;

// The worker threads' loop over the inputs analysed whole: each input's CSV written
// atomically, a failure confined to its input and named, progress reported one event at a time.
void run_whole(const std::vector<video_job>& jobs, const std::vector<size_t>& inputs,
               const engine_options& options, int workers, std::vector<video_result>& results,
               const whole_analysis& analyse) {
  std::atomic<size_t> next{0};
  std::mutex report_mutex;             // progress callbacks one at a time
  std::atomic<int64_t> batch_done{0};  // of these inputs; the engine adds the other phases'

  const auto report = [&](size_t i, int64_t done, int64_t total, const char* stage) {
    if (!options.on_progress)
      return;
    progress_event event;
    event.video = i;
    event.input = jobs[i].input;
    event.frames_done = done;
    event.frames_total = total;
    event.batch_frames_done = batch_done;
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
      const int64_t planned = progress_frames(r);
      const auto stopped = [&] { return options.should_abort && options.should_abort(); };
      if (stopped()) {
        r.error = job.input.string() + ": interrupted";
        r.interrupted = true;
        continue;
      }
      const auto start = std::chrono::steady_clock::now();
      int64_t counted = 0;  // frames of this input already in batch_done
      try {
        analyse(job, r, [&](int64_t done, int64_t total) {
          batch_done += done - counted;
          counted = done;
          if (done % std::max(1, options.progress_interval_frames) == 0)
            report(i, done, total, "analysing");
          return !stopped();
        });
        r.ok = true;
      } catch (const std::exception& e) {
        // One line naming the file, as for videos (the readers' errors already name it).
        const std::string why = e.what(), name = job.input.string();
        r.error = why.find(name) == std::string::npos ? name + ": " + why : why;
        r.interrupted = stopped();
      }
      batch_done += planned - std::min(counted, planned);
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      report(i, r.ok ? r.frames : planned, r.ok ? r.frames : planned, r.ok ? "done" : "failed");
      if (r.ok && options.on_video_done)
        options.on_video_done(r);
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
  run_whole(jobs, images, options, workers, results,
            [&](const video_job& job, video_result& r, const frame_progress&) {
              if (job.kind == job_kind::mirror)
                mirror_still_image(*analyzer, models, job, options, r);
              else
                write_still_image_csv(*analyzer, models, job, options, r);
            });
}

int64_t count_multi_face_frames(const std::vector<video_job>& jobs,
                                const std::vector<size_t>& videos,
                                std::vector<video_result>& results, int frame_stride) {
  int64_t total = 0;
  for (size_t i : videos) {
    try {
      results[i].frames = analysed_frames(probe_video(jobs[i].input), frame_stride);
    } catch (const std::exception&) {
      results[i].frames = 0;  // fails again, with its reason, when analysed
    }
    total += progress_frames(results[i]);
  }
  return total;
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
  run_whole(
      jobs, videos, options, workers, results,
      [&](const video_job& job, video_result& out, const frame_progress& progress) {
        const video_info info = probe_video(job.input);
        out.video_streams = info.video_streams;
        video_reader reader(info);
        const int stride = options.frame_stride;
        const int64_t total = analysed_frames(reader.info(), stride);
        multi_face_session session(
            shared, multi, options.camera.for_frame(reader.info().width, reader.info().height));
        atomic_file csv(job.output_csv);
        csv.write(csv_header(columns));
        int64_t frames = 0, with_face = 0;
        bool any_row = false;
        std::string rows;
        for (int64_t position = 0; position < total; ++position) {
          if (stride > 1)
            reader.seek(position * stride);  // decodes on, skipping what it can
          const std::optional<video_frame> frame = reader.read();
          if (!frame)
            break;  // as many frames as the probe counted, or read() has thrown
          rows.clear();
          bool found = false;
          for (frame_record face : session.track(frame->bgr, frame->timestamp_s)) {
            face.index = frame->index;  // the container's frame number
            append_csv_row(rows, face, columns);
            found = found || face.success;
          }
          with_face += found ? 1 : 0;
          any_row = any_row || !rows.empty();
          out.note_damage(frame->index, frame->damage);
          csv.write(rows);
          if (!progress(++frames, total))
            throw error(error_code::io, "'" + job.input.string() + "': interrupted");
        }
        // Not a face in the video: as FaceLandmarkVidMulti, no CSV (it goes unwritten).
        const bool csv_written = any_row || !options.skip_faceless_csv;
        if (csv_written)
          csv.commit();
        if (options.write_of_details) {
          write_openface_details(openface_details(job, options, reader.info().width,
                                                  reader.info().height, false, false, csv_written),
                                 job);
        }
        out.frames = frames;
        out.successful_frames = with_face;
      });
}

}  // namespace facemirror::detail

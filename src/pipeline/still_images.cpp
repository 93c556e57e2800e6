#include "still_images.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <opencv2/imgcodecs.hpp>

#include "facemirror/analysis/image_analyzer.h"
#include "facemirror/error.h"
#include "facemirror/io/image_reader.h"
#include "facemirror/mirror/mirror.h"
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

void write_still_image_csv(const image_analyzer& analyzer, const analysis_models& models,
                           const video_job& job, const engine_options& options,
                           video_result& result) {
  const std::vector<frame_record> faces = analyzer.analyze(read_image(job.input), options.camera);
  atomic_file out(job.output_csv);
  out.write(still_image_csv(models, faces, options));
  out.commit();
  result.frames = 1;
  for (const frame_record& face : faces)
    result.successful_frames += face.success ? 1 : 0;
}

double jaw_width(const frame_record& face) {
  return cv::norm(face.landmarks[16] - face.landmarks[0]);
}

cv::Point2d landmark_centre(const frame_record& face) {
  cv::Point2d sum(0, 0);
  for (const auto& p : face.landmarks)
    sum += cv::Point2d(p);
  return sum / static_cast<double>(face.landmarks.size());
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
// face was. It keeps its place in that list as its `face` number.
std::string mirrored_face_csv(const image_analyzer& analyzer, const analysis_models& models,
                              const cv::Mat& mirrored, const frame_record& source,
                              const engine_options& options) {
  const std::vector<frame_record> faces = analyzer.analyze(mirrored, options.camera);
  const cv::Point2d centre = landmark_centre(source);
  const frame_record* nearest = nullptr;
  double best = std::numeric_limits<double>::infinity();
  for (const frame_record& face : faces) {
    const double distance = cv::norm(landmark_centre(face) - centre);
    if (distance < best) {
      best = distance;
      nearest = &face;
    }
  }
  if (nearest == nullptr)
    return still_image_csv(models, {}, options);
  return still_image_csv(models, {*nearest}, options);
}

void mirror_still_image(const image_analyzer& analyzer, const analysis_models& models,
                        const video_job& job, const engine_options& options, video_result& result) {
  const cv::Mat bgr = read_image(job.input);
  const std::vector<frame_record> faces = analyzer.analyze(bgr, options.camera);
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
  const double yaw_deg = source->pose.ry * 180.0 / 3.14159265358979323846;
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
        if (job.kind == job_kind::mirror)
          mirror_still_image(*analyzer, models, job, options, r);
        else
          write_still_image_csv(*analyzer, models, job, options, r);
        r.ok = true;
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

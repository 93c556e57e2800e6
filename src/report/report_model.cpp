#include "report/report_model.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <utility>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facemirror/error.h"
#include "facemirror/io/image_reader.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/models/model_paths.h"

#include "core/file_bytes.h"
#include "models/sha256.h"

namespace facemirror {
namespace fs = std::filesystem;

namespace detail {

std::vector<int64_t> strongest_asymmetry_frames(const au_series& left, const au_series& right,
                                                int count, double min_gap_s,
                                                const rest_levels& rest) {
  const size_t rows = std::min(left.rows(), right.rows());
  std::vector<std::pair<double, int64_t>> scored;
  for (size_t i = 0; i < rows; ++i) {
    if (!left.success[i] || !right.success[i])
      continue;
    double score = 0;
    for (const auto& l : left.aus) {
      const au_column* r = l.intensity ? right.find(l.name) : nullptr;
      if (r == nullptr)
        continue;
      const auto levels = rest.find(l.name);
      const double rest_l = levels != rest.end() ? levels->second.first : 0.0;
      const double rest_r = levels != rest.end() ? levels->second.second : 0.0;
      score += std::abs((r->values[i] - rest_r) - (l.values[i] - rest_l));
    }
    scored.emplace_back(score, static_cast<int64_t>(i));
  }
  // Largest first; ties by earlier frame, so the choice is deterministic.
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<int64_t> chosen;
  for (const auto& [score, row] : scored) {
    if (static_cast<int>(chosen.size()) >= count)
      break;
    const double t = left.timestamp_s[static_cast<size_t>(row)];
    const bool near = std::any_of(chosen.begin(), chosen.end(), [&](int64_t c) {
      return std::abs(left.timestamp_s[static_cast<size_t>(c)] - t) < min_gap_s;
    });
    if (!near)
      chosen.push_back(row);
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

std::string base64(const std::string& bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t v =
        (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace detail

namespace {

using detail::yaw_track;

// ---- head pose of the source face (the debug video's banner) -------------------------------

yaw_track read_head_pose(const fs::path& file) {
  // frame,timestamp,success,confidence,yaw_deg (written by the mirror job)
  yaw_track track;
  std::ifstream in(file);
  if (!in)
    throw error(error_code::io,
                "cannot read '" + file.string() + "': " + detail::unreadable_reason(file));
  std::string line;
  std::getline(in, line);
  if (line.rfind("frame,timestamp,success,confidence,yaw_deg", 0) != 0)
    throw error(error_code::invalid_argument,
                "'" + file.string() + "': not a facemirror head-pose CSV (header '" + line + "')");
  int64_t number = 1;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty())
      continue;
    double frame, t, success, confidence, yaw;
    if (std::sscanf(line.c_str(), "%lf,%lf,%lf,%lf,%lf", &frame, &t, &success, &confidence, &yaw) !=
        5)
      throw error(error_code::invalid_argument,
                  "'" + file.string() + "': line " + std::to_string(number) + " is malformed");
    ++track.frames;
    if (success != 0)
      track.yaw_deg.push_back(yaw);
    else
      ++track.no_face;
    track.time_s.push_back(t);
    track.abs_yaw_deg.push_back(success != 0 ? std::abs(yaw) : 0.0);
    track.face.push_back(success != 0);
  }
  return track;
}

yaw_track yaw_from_series(const au_series& face) {
  yaw_track track;
  track.frames = static_cast<int64_t>(face.rows());
  for (size_t i = 0; i < face.rows(); ++i) {
    const bool with_face = face.success[i] && i < face.yaw_rad.size();
    const double yaw = with_face ? face.yaw_rad[i] * 180.0 / 3.14159265358979323846 : 0.0;
    track.time_s.push_back(face.timestamp_s[i]);
    track.abs_yaw_deg.push_back(std::abs(yaw));
    track.face.push_back(with_face);
    if (!face.success[i]) {
      ++track.no_face;
      continue;
    }
    if (with_face)
      track.yaw_deg.push_back(yaw);
  }
  return track;
}

}  // namespace

namespace detail {

// ---- provenance ----------------------------------------------------------------------------

model_checksums checksum_models(const std::optional<fs::path>& dir) {
  model_checksums out;
  try {
    const model_paths paths = resolve_model_paths(dir);
    out.root = paths.root.string();
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(paths.root)) {
      if (entry.is_regular_file())
        files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files)
      out.listing += detail::sha256_of_file(file) + "  ./" +
                     fs::relative(file, paths.root).generic_string() + "\n";
    if (!fs::equivalent(paths.dlib_landmarks.parent_path(), paths.root)) {
      out.listing += detail::sha256_of_file(paths.dlib_landmarks) + "  " +
                     paths.dlib_landmarks.string() + "\n";
      files.push_back(paths.dlib_landmarks);
    }
    out.files = files.size();
    out.digest = detail::sha256_hex(out.listing);
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

}  // namespace detail

namespace {

// ---- stills --------------------------------------------------------------------------------

// The frame as an embedded JPEG, scaled to `height` pixels.
std::string jpeg_data_uri(const cv::Mat& bgr, int height) {
  cv::Mat scaled;
  const double scale = static_cast<double>(height) / bgr.rows;
  cv::resize(bgr, scaled,
             cv::Size(std::max(1, static_cast<int>(std::lround(bgr.cols * scale))), height), 0, 0,
             cv::INTER_AREA);
  std::vector<uchar> jpeg;
  if (!cv::imencode(".jpg", scaled, jpeg, {cv::IMWRITE_JPEG_QUALITY, 82}))
    throw error(error_code::internal, "JPEG encoding failed");
  return "data:image/jpeg;base64," +
         detail::base64(std::string(reinterpret_cast<const char*>(jpeg.data()), jpeg.size()));
}

}  // namespace

namespace detail {

std::vector<std::string> frames_as_jpeg(const fs::path& video, const std::vector<int64_t>& frames,
                                        int height) {
  std::vector<std::string> out;
  if (is_image_file(video)) {  // a photograph's mirror job: its one frame is the image
    const cv::Mat image = read_image(video);
    for (size_t i = 0; i < frames.size(); ++i)
      out.push_back(jpeg_data_uri(image, height));
    return out;
  }
  // Decoded in frame order: a seek lands on the key frame before and decodes from there, so
  // stills in one group of pictures cost one walk through it instead of one each (the mirror
  // job's videos have a key frame every 60 frames).
  std::vector<size_t> order(frames.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return frames[a] < frames[b]; });
  out.resize(frames.size());
  video_reader reader(probe_video(video));
  for (const size_t i : order) {
    reader.seek(frames[i]);
    const auto decoded = reader.read();
    if (!decoded)
      throw error(error_code::codec,
                  "'" + video.string() + "': frame " + std::to_string(frames[i] + 1) + " missing");
    out[i] = jpeg_data_uri(decoded->bgr, height);
  }
  return out;
}

mirrored_stills mirrored_frames_as_jpeg(const video_report& r, const std::vector<int64_t>& frames,
                                        int height) {
  mirrored_stills out;
  if (!fs::exists(r.video.left_video) || !fs::exists(r.video.right_video)) {
    out.missing = "The mirrored videos are not in the folder";
    return out;
  }
  try {
    out.right = frames_as_jpeg(r.video.right_video, frames, height);
    out.left = frames_as_jpeg(r.video.left_video, frames, height);
  } catch (const std::exception& e) {
    out = mirrored_stills{};
    out.missing = e.what();
  }
  return out;
}

// ---- the per-video model -------------------------------------------------------------------

video_report analyse(const report_video& video, const report_options& options) {
  video_report out;
  out.video = video;
  if (video.mirrored) {
    out.left = read_au_series(video.left_csv);
    out.right = read_au_series(video.right_csv);
    if (out.left.rows() != out.right.rows()) {
      throw error(error_code::invalid_argument, "'" + video.left_csv.string() + "' has " +
                                                    std::to_string(out.left.rows()) + " rows, '" +
                                                    video.right_csv.string() + "' " +
                                                    std::to_string(out.right.rows()));
    }
  } else {
    out.left = read_au_series(video.face_csv, video.face_id);
  }
  if (!video.tasks_csv.empty() && fs::exists(video.tasks_csv)) {
    // A mistake in a hand-written plan costs the page its task section, not the whole-recording
    // summary (nor the earlier report's other tables).
    try {
      out.plan = read_task_plan(video.tasks_csv);
    } catch (const std::exception& e) {
      out.plan_error = e.what();
    }
  }
  // One resting face for the page: a plan's rest row is the summary's rest too.
  const std::optional<time_window> rest = out.plan ? out.plan->rest : std::nullopt;
  for (const auto& column : out.left.aus) {
    au_summary row;
    row.au = column.name;
    row.intensity = column.intensity;
    row.left = compute_side_stats(column.values, out.left.success, out.left.timestamp_s,
                                  options.thresholds, rest);
    if (video.mirrored) {
      const au_column* other = out.right.find(column.name);
      if (other == nullptr)
        throw error(error_code::invalid_argument,
                    "'" + video.right_csv.string() + "' has no column " + column.name);
      row.right = compute_side_stats(other->values, out.right.success, out.right.timestamp_s,
                                     options.thresholds, rest);
      if (row.left.frames_with_face == 0 || row.right.frames_with_face == 0) {
        // A side never found has only zeros, which would read as a face at rest: AI 1.00.
        row.symmetry.state = no_face_state(row.left.frames_with_face, row.right.frames_with_face);
      } else {
        row.asymmetry = gated_asymmetry_index(row.left.mean, row.right.mean, column.intensity,
                                              options.thresholds);
        if (column.intensity)
          row.symmetry =
              compute_symmetry_ratio(row.left.excursion, row.right.excursion, options.thresholds);
      }
    }
    out.summary.push_back(row);
  }
  if (video.mirrored) {
    if (fs::exists(video.head_pose_csv)) {
      out.yaw = read_head_pose(video.head_pose_csv);
      out.have_yaw = true;
    } else {
      out.yaw_note = "No head-pose file (" + video.head_pose_csv.filename().string() +
                     ") in the folder: the job that wrote it predates it. Re-run the mirror job "
                     "with --force to record the source face's yaw.";
    }
  } else if (!out.left.yaw_rad.empty()) {
    out.yaw = yaw_from_series(out.left);
    out.have_yaw = true;
  }
  if (out.plan) {
    if (video.mirrored) {
      out.tasks = summarise_tasks(*out.plan, out.left, out.right, options.thresholds);
      out.rest_row = rest_row(*out.plan, out.left, out.right, options.thresholds);
    } else {
      out.tasks = summarise_tasks(*out.plan, out.left, options.thresholds);  // no stills
    }
  }
  if (options.recorded) {
    out.record = options.recorded(video.stem);
    if (!out.record && video.face_id)
      out.record = options.recorded(video.face_csv.stem().string());
  }
  return out;
}

}  // namespace detail
}  // namespace facemirror

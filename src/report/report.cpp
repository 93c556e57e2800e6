#include "facemirror/report/report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <numeric>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facemirror/error.h"
#include "facemirror/io/image_reader.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/mirror/mirror.h"
#include "facemirror/models/model_paths.h"
#include "facemirror/output/atomic_file.h"
#include "facemirror/report/svg_chart.h"
#include "facemirror/version.h"

#include "models/sha256.h"
#include "report/report_html.h"

namespace facemirror {
namespace fs = std::filesystem;

namespace detail {

au_info describe_au(const std::string& au) {
  static const std::map<std::string, au_info> table = {
      {"AU01", {"Inner brow raiser", "brow"}},
      {"AU02", {"Outer brow raiser", "brow"}},
      {"AU04", {"Brow lowerer", "brow"}},
      {"AU05", {"Upper lid raiser", "eye"}},
      {"AU06", {"Cheek raiser", "eye"}},
      {"AU07", {"Lid tightener", "eye"}},
      {"AU45", {"Blink", "eye"}},
      {"AU09", {"Nose wrinkler", "mid-face and smile"}},
      {"AU10", {"Upper lip raiser", "mid-face and smile"}},
      {"AU12", {"Lip corner puller", "mid-face and smile"}},
      {"AU14", {"Dimpler", "mid-face and smile"}},
      {"AU15", {"Lip corner depressor", "lower face"}},
      {"AU17", {"Chin raiser", "lower face"}},
      {"AU20", {"Lip stretcher", "lower face"}},
      {"AU23", {"Lip tightener", "lower face"}},
      {"AU25", {"Lips part", "lower face"}},
      {"AU26", {"Jaw drop", "lower face"}},
      {"AU28", {"Lip suck", "lower face"}},
  };
  const auto it = table.find(au.substr(0, 4));
  return it == table.end() ? au_info{"", "other"} : it->second;
}

const std::vector<std::string>& report_regions() {
  static const std::vector<std::string> regions = {"brow", "eye", "mid-face and smile",
                                                   "lower face", "other"};
  return regions;
}

std::vector<int64_t> strongest_asymmetry_frames(const au_series& left, const au_series& right,
                                                int count, double min_gap_s) {
  const size_t rows = std::min(left.rows(), right.rows());
  std::vector<std::pair<double, int64_t>> scored;
  for (size_t i = 0; i < rows; ++i) {
    if (!left.success[i] || !right.success[i])
      continue;
    double score = 0;
    for (const auto& l : left.aus) {
      const au_column* r = l.intensity ? right.find(l.name) : nullptr;
      if (r != nullptr)
        score += std::abs(r->values[i] - l.values[i]);
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

using detail::describe_au;

constexpr const char* left_colour = "#1f5fbf";  // left blue, right red, as S3's dashboard
constexpr const char* right_colour = "#c8321e";
constexpr const char* face_colour = "#333333";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string num(double v, int decimals = 2) {
  char buffer[48];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, v);
  return buffer;
}

// A file that the report reads is an OpenFace CSV if its header has timestamp and an AU column.
bool looks_like_au_csv(const fs::path& file) {
  std::ifstream in(file);
  std::string header;
  std::getline(in, header);
  return header.find("timestamp") != std::string::npos && header.find("AU") != std::string::npos &&
         header.find("success") != std::string::npos;
}

// ---- head pose of the source face (the debug video's banner) -------------------------------

struct yaw_track {
  std::vector<double> yaw_deg;  // frames with a face
  int64_t frames = 0;
  int64_t no_face = 0;
};

yaw_track read_head_pose(const fs::path& file) {
  // frame,timestamp,success,confidence,yaw_deg (written by the mirror job)
  yaw_track track;
  std::ifstream in(file);
  if (!in)
    throw error(error_code::io, "cannot read '" + file.string() + "'");
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
  }
  return track;
}

yaw_track yaw_from_series(const au_series& face) {
  yaw_track track;
  track.frames = static_cast<int64_t>(face.rows());
  for (size_t i = 0; i < face.rows(); ++i) {
    if (!face.success[i]) {
      ++track.no_face;
      continue;
    }
    if (i < face.yaw_rad.size())
      track.yaw_deg.push_back(face.yaw_rad[i] * 180.0 / 3.14159265358979323846);
  }
  return track;
}

// ---- provenance ----------------------------------------------------------------------------

struct model_checksums {
  std::string root;
  std::string error;    // when the folder could not be read
  std::string listing;  // "sha256  ./relative/path" lines, sha256sum's format
  std::string digest;   // SHA-256 of the listing
  size_t files = 0;
};

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

// ---- the per-video model -------------------------------------------------------------------

struct video_report {
  report_video video;
  au_series left;   // the single face for a one-face video
  au_series right;  // empty for a one-face video
  std::vector<au_summary> summary;
  yaw_track yaw;
  bool have_yaw = false;
  std::string yaw_note;
};

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
    out.left = read_au_series(video.face_csv);
  }
  for (const auto& column : out.left.aus) {
    au_summary row;
    row.au = column.name;
    row.intensity = column.intensity;
    row.left = compute_side_stats(column.values, out.left.success, out.left.timestamp_s,
                                  options.thresholds);
    if (video.mirrored) {
      const au_column* other = out.right.find(column.name);
      if (other == nullptr)
        throw error(error_code::invalid_argument,
                    "'" + video.right_csv.string() + "' has no column " + column.name);
      row.right = compute_side_stats(other->values, out.right.success, out.right.timestamp_s,
                                     options.thresholds);
      row.asymmetry = asymmetry_index(row.left.mean, row.right.mean);
      if (column.intensity)
        row.symmetry =
            compute_symmetry_ratio(row.left.excursion, row.right.excursion, options.thresholds);
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
  return out;
}

// ---- HTML ----------------------------------------------------------------------------------

const char* style_sheet = R"(
body{font-family:"DejaVu Sans",Arial,sans-serif;color:#222;margin:24px auto;max-width:960px;padding:0 12px;font-size:14px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:3px;margin-top:28px}
h3{font-size:15px;margin:18px 0 6px}.muted{color:#666}.note{color:#555;font-size:12px}
table{border-collapse:collapse;font-size:12px;margin:8px 0}th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#f2f2f2}td.l,th.l{text-align:left}.left{color:#1f5fbf}.right{color:#c8321e}
.gated{color:#888;font-style:italic}.strong{font-weight:bold}
figure.au{margin:6px 0 14px;break-inside:avoid;page-break-inside:avoid}figure.au figcaption{font-size:13px;margin-bottom:2px}
svg{max-width:100%;height:auto;display:block}svg text{font-family:"DejaVu Sans",Arial,sans-serif}
.stills{display:flex;flex-wrap:wrap;gap:16px}.still{break-inside:avoid;font-size:12px;text-align:center}
.still img{display:block;height:180px;margin:2px}.pair{display:flex}
nav a{margin-right:12px}code,pre{font-size:11px}pre{white-space:pre-wrap;word-break:break-all}
.bar{display:inline-block;height:10px;vertical-align:middle}
@media print{nav{display:none}body{margin:0;max-width:none}h2{break-after:avoid}details{display:block}details>*{display:block}}
@page{size:A4;margin:12mm}
)";

std::string page_head(const std::string& title) {
  // The policy forbids every request but embedded images and the inline style: a report that
  // tried to reach the network would show nothing rather than leak.
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src "
         "data:; "
         "style-src 'unsafe-inline'\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta name=\"generator\" content=\"facemirror " +
         std::string(version()) + "\"><title>" + html_escape(title) + "</title><style>" +
         style_sheet + "</style></head><body>\n";
}

std::string stat_cells(const side_stats& s, bool intensity, const char* css) {
  if (s.frames_with_face == 0)
    return std::string("<td class=\"") + css + "\" colspan=\"3\">no face</td>";
  if (!intensity) {
    return std::string("<td class=\"") + css + "\">" + num(100.0 * s.mean, 1) +
           "%</td><td class=\"" + css + "\">" + num(s.p95, 0) + "</td><td class=\"" + css + "\">" +
           num(s.peak, 0) + "</td>";
  }
  return std::string("<td class=\"") + css + "\">" + num(s.mean) + "</td><td class=\"" + css +
         "\">" + num(s.p95) + "</td><td class=\"" + css + "\">" + num(s.peak) + "</td>";
}

std::string symmetry_cells(const au_summary& row) {
  if (!row.intensity)
    return "<td></td><td></td>";
  switch (row.symmetry.state) {
    case engagement::not_engaged:
      return "<td class=\"gated\">not engaged</td><td></td>";
    case engagement::weaker_side_still:
      return "<td class=\"strong\">0.00</td><td class=\"l\">" + row.symmetry.weaker_side +
             " (no movement)</td>";
    case engagement::engaged:
      break;
  }
  return "<td" + std::string(row.symmetry.ratio < 0.9 ? " class=\"strong\"" : "") + ">" +
         num(row.symmetry.ratio) + "</td><td class=\"l\">" +
         (row.symmetry.weaker_side.empty()
              ? "-"
              : row.symmetry.weaker_side + " " + num(100.0 * (1.0 - row.symmetry.ratio), 0) +
                    "% weaker") +
         "</td>";
}

std::string summary_table(const video_report& r) {
  const bool pair = r.video.mirrored;
  std::string out =
      "<table id=\"summary\" class=\"summary\"><thead><tr><th class=\"l\" rowspan=\"2\">AU</th>"
      "<th class=\"l\" rowspan=\"2\">movement</th>";
  if (pair) {
    out +=
        "<th colspan=\"3\" class=\"left\">left (patient's)</th><th colspan=\"3\" "
        "class=\"right\">right "
        "(patient's)</th><th rowspan=\"2\">AI<br>(R&minus;L)/(R+L)</th><th "
        "rowspan=\"2\">E<sub>L</sub> / "
        "E<sub>R</sub></th><th rowspan=\"2\">SR</th><th rowspan=\"2\" class=\"l\">weaker "
        "side</th></tr><tr>"
        "<th>mean</th><th>p95</th><th>peak</th><th>mean</th><th>p95</th><th>peak</th></tr>";
  } else {
    out +=
        "<th colspan=\"3\">face</th><th rowspan=\"2\">baseline</th><th "
        "rowspan=\"2\">E</th></tr><tr>"
        "<th>mean</th><th>p95</th><th>peak</th></tr>";
  }
  out += "</thead><tbody>";
  for (const auto& row : r.summary) {
    const auto info = describe_au(row.au);
    out += "<tr data-au=\"" + html_escape(row.au) + "\"><td class=\"l\">" + html_escape(row.au) +
           "</td><td class=\"l\">" + info.name + (row.intensity ? "" : " (presence)") + "</td>";
    out += stat_cells(row.left, row.intensity, "left");
    if (pair) {
      out += stat_cells(row.right, row.intensity, "right");
      out += "<td>" + (row.asymmetry ? num(*row.asymmetry) : std::string("-")) + "</td>";
      out += row.intensity
                 ? "<td>" + num(row.left.excursion) + " / " + num(row.right.excursion) + "</td>"
                 : "<td></td>";
      out += symmetry_cells(row);
    } else {
      out += row.intensity
                 ? "<td>" + num(row.left.baseline) + "</td><td>" + num(row.left.excursion) + "</td>"
                 : "<td></td><td></td>";
    }
    out += "</tr>";
  }
  out += "</tbody></table>";
  out +=
      pair
          ? "<p class=\"note\">Frames with a face: left " +
                std::to_string(r.left.frames_with_face()) + " of " + std::to_string(r.left.rows()) +
                ", right " + std::to_string(r.right.frames_with_face()) + " of " +
                std::to_string(r.right.rows()) + ". Statistics use those frames only.</p>"
          : "<p class=\"note\">Frames with a face: " + std::to_string(r.left.frames_with_face()) +
                " of " + std::to_string(r.left.rows()) + ". Statistics use those frames only.</p>";
  return out;
}

std::string definitions(const report_options& options, bool pair) {
  const auto& t = options.thresholds;
  std::string out =
      "<section id=\"definitions\"><h2>Definitions</h2><ul>"
      "<li><b>mean, p95, peak</b>: over the frames where that side's face was found (OpenFace "
      "<code>success</code> = 1); p95 is the 95th percentile (linear interpolation). AU "
      "intensities "
      "(<code>AU*_r</code>) run 0 (absent) to 5 (maximal); for presences (<code>AU*_c</code>) the "
      "mean "
      "is the share of frames with the AU present.</li>"
      "<li><b>baseline b</b>: the median over the first " +
      num(t.baseline_s, 1) +
      " s of the recording (the resting face); <b>excursion E</b> = max(0, p95 &minus; b).</li>";
  if (pair) {
    out +=
        "<li><b>asymmetry index AI</b> = (R &minus; L) / (R + L) on the means, from &minus;1 to 1: "
        "0 "
        "symmetric, positive: the right side stronger, negative: the left side stronger; \"-\" "
        "when both "
        "means are 0.</li>"
        "<li><b>symmetry ratio SR</b> = min(E<sub>L</sub>, E<sub>R</sub>) / max(E<sub>L</sub>, "
        "E<sub>R</sub>), 0 to 1, 1 symmetric; \"% weaker\" = (1 &minus; SR) &times; 100. "
        "<b>Activation gate</b>: when the stronger side's excursion is below " +
        num(t.engaged_min) +
        " the AU is <i>not engaged</i> (no ratio: two resting sides are not evidence of symmetry); "
        "when "
        "the stronger side is engaged and the weaker side's excursion is below " +
        num(t.weaker_min) +
        ", SR = 0 (<i>no movement</i> on the weaker side). SR below 0.9 is printed in bold; "
        "healthy "
        "faces show 7-9% asymmetry in landmark studies (not validated for AUs).</li>"
        "<li><b>left / right</b> are the patient's anatomical sides: <i>right</i> is the "
        "right-mirrored "
        "face (the patient's right half, image left in an unflipped camera view, and its "
        "reflection).</li>"
        "<li>OpenFace normalises the dynamic AUs (01, 02, 05, 09, 15, 17, 20, 23, 25, 26, 45) per "
        "video, "
        "so each mirrored face loses most of its resting offset; resting asymmetry shows mainly in "
        "the static AUs (04, 06, 07, 10, 12, 14).</li>"
        "<li>Pucker (AU18, AU22) and the lower-lip depressor (AU16) are not in OpenFace; AU23/AU17 "
        "and AU25/AU20/AU15/AU26 are proxies.</li>";
  }
  out +=
      "<li>No clinical grade (House-Brackmann, Sunnybrook, eFACE) is computed; the numbers are for "
      "research and to support, not replace, a clinician's judgement.</li></ul></section>\n";
  return out;
}

chart_series series_of(const au_series& face, const au_column& column, const char* label,
                       const char* colour) {
  return {label, colour, face.timestamp_s, column.values, face.success};
}

std::string charts(const video_report& r) {
  std::string out = "<section id=\"charts\"><h2>Action Units over time</h2><p class=\"note\">";
  out += r.video.mirrored ? "<span class=\"left\">Left</span> and <span "
                            "class=\"right\">right</span> mirrored faces; "
                            "intensities as lines (0-5), presences as bands (upper row right, "
                            "lower row left; grey: "
                            "no face). "
                          : "Intensities as lines (0-5), presences as bands (grey: no face). ";
  if (r.left.rows() <= 1) {
    return out +
           "A still image: one value per AU, given in the summary table; there is no "
           "time to chart.</p></section>\n";
  }
  out += "Time in seconds from the start of the video.</p>";
  chart_layout line_layout;
  chart_layout band_layout;
  band_layout.height = r.video.mirrored ? 64 : 46;
  for (const auto& region : detail::report_regions()) {
    std::string section;
    for (const auto& column : r.left.aus) {
      if (describe_au(column.name).region != region)
        continue;
      const auto info = describe_au(column.name);
      std::vector<chart_series> series;
      if (r.video.mirrored) {
        const au_column* right = r.right.find(column.name);
        series.push_back(series_of(r.right, *right, "Right", right_colour));
        series.push_back(series_of(r.left, column, "Left", left_colour));
      } else {
        series.push_back(series_of(r.left, column, "Face", face_colour));
      }
      const std::string caption =
          column.name + " " + info.name + (column.intensity ? " (intensity)" : " (presence)");
      section += "<figure class=\"au\" data-au=\"" + html_escape(column.name) + "\"><figcaption>" +
                 html_escape(caption) + "</figcaption>";
      section += column.intensity ? line_chart_svg("chart-" + column.name, "au-chart intensity",
                                                   caption, series, line_layout)
                                  : band_chart_svg("chart-" + column.name, "au-chart presence",
                                                   caption, series, band_layout);
      section += "</figure>\n";
    }
    if (!section.empty()) {
      std::string heading = region;
      heading[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(heading[0])));
      out += "<h3>" + html_escape(heading) + "</h3>\n" + section;
    }
  }
  out += "</section>\n";
  return out;
}

std::string quality(const video_report& r, const report_options& options) {
  std::string out = "<section id=\"quality\"><h2>Quality</h2>";
  out += "<h3>Head yaw (source face)</h3>";
  if (r.have_yaw) {
    int64_t bands[3] = {0, 0, 0};
    for (const double yaw : r.yaw.yaw_deg)
      ++bands[static_cast<int>(classify_yaw(yaw))];
    const double n = static_cast<double>(std::max<int64_t>(1, r.yaw.frames));
    out +=
        "<p class=\"note\">The debug video's bands: good |yaw| &le; 3&deg;, acceptable &le; "
        "5&deg;, "
        "poor above. A turned head makes one half look smaller and biases the comparison.</p>"
        "<table id=\"yaw\"><tr><th class=\"l\">band</th><th>frames</th><th>share</th><th "
        "class=\"l\"></th></tr>";
    const char* names[3] = {"good", "acceptable", "poor"};
    const char* colours[3] = {"#2e8b3a", "#e69a00", "#c8321e"};
    for (int b = 0; b < 3; ++b) {
      out += "<tr><td class=\"l\">" + std::string(names[b]) + "</td><td>" +
             std::to_string(bands[b]) + "</td><td>" +
             num(100.0 * static_cast<double>(bands[b]) / n, 1) +
             "%</td><td class=\"l\"><span class=\"bar\" style=\"width:" +
             num(200.0 * static_cast<double>(bands[b]) / n, 0) + "px;background:" + colours[b] +
             "\"></span></td></tr>";
    }
    out += "<tr><td class=\"l\">no face</td><td>" + std::to_string(r.yaw.no_face) + "</td><td>" +
           num(100.0 * static_cast<double>(r.yaw.no_face) / n, 1) + "%</td><td></td></tr></table>";
    if (!r.yaw.yaw_deg.empty()) {
      std::vector<double> abs_yaw;
      for (const double y : r.yaw.yaw_deg)
        abs_yaw.push_back(std::abs(y));
      std::sort(abs_yaw.begin(), abs_yaw.end());
      out += "<p class=\"note\">|yaw| median " + num(abs_yaw[abs_yaw.size() / 2], 1) +
             "&deg;, 95th percentile " + num(percentile95(abs_yaw), 1) + "&deg;.</p>";
    }
  } else {
    out += "<p class=\"note\">" + html_escape(r.yaw_note) + "</p>";
  }
  out += "<h3>Frames without a face</h3><p>";
  if (r.video.mirrored) {
    out += "left " +
           std::to_string(r.left.rows() - static_cast<size_t>(r.left.frames_with_face())) +
           ", right " +
           std::to_string(r.right.rows() - static_cast<size_t>(r.right.frames_with_face())) +
           " of " + std::to_string(r.left.rows()) + " frames.";
  } else {
    out += std::to_string(r.left.rows() - static_cast<size_t>(r.left.frames_with_face())) + " of " +
           std::to_string(r.left.rows()) + " frames.";
  }
  const double share =
      r.left.rows() ? static_cast<double>(r.left.frames_with_face()) / r.left.rows() : 0;
  if (share < 0.8)
    out += " <b>Warning: fewer than 80% of the frames have a face.</b>";
  out += "</p>";
  if (r.video.mirrored && options.stills > 0) {
    out += "<h3>Strongest asymmetry</h3>";
    const auto frames = detail::strongest_asymmetry_frames(r.left, r.right, options.stills, 1.0);
    if (frames.empty()) {
      out += "<p class=\"note\">No frame with both faces found.</p>";
    } else if (!fs::exists(r.video.left_video) || !fs::exists(r.video.right_video)) {
      out += "<p class=\"note\">The mirrored videos are not in the folder: no stills.</p>";
    } else {
      const auto right = frames_as_jpeg(r.video.right_video, frames, 180);
      const auto left = frames_as_jpeg(r.video.left_video, frames, 180);
      out +=
          "<p class=\"note\">Frames where the AU intensities of the two mirrored faces differ most "
          "(sum over AUs of |R &minus; L|), at least 1 s apart.</p><div class=\"stills\">";
      for (size_t i = 0; i < frames.size(); ++i) {
        const auto row = static_cast<size_t>(frames[i]);
        out +=
            "<div class=\"still\"><div class=\"pair\"><img class=\"still-right\" "
            "alt=\"right-mirrored face, frame " +
            std::to_string(row + 1) + "\" src=\"" + right[i] +
            "\"><img class=\"still-left\" alt=\"left-mirrored face, frame " +
            std::to_string(row + 1) + "\" src=\"" + left[i] +
            "\"></div><span class=\"right\">right</span> | "
            "<span class=\"left\">left</span> &mdash; frame " +
            std::to_string(row + 1) + ", " + num(r.left.timestamp_s[row], 2) + " s</div>";
      }
      out += "</div>";
    }
  }
  out += "</section>\n";
  return out;
}

std::string provenance(const video_report& r, const report_options& options,
                       const model_checksums& models) {
  std::string out = "<section id=\"provenance\"><h2>Provenance</h2><table>";
  const auto row = [&](const std::string& k, const std::string& v) {
    out += "<tr><th class=\"l\">" + k + "</th><td class=\"l\">" + v + "</td></tr>";
  };
  row("facemirror", html_escape(version()));
  row("command", "<code>" + html_escape(options.command) + "</code>");
  if (r.video.source_video) {
    std::string line = html_escape(r.video.source_video->filename().string());
    try {
      if (is_image_file(*r.video.source_video)) {
        const cv::Mat image = read_image(*r.video.source_video);
        line += ": a still image, " + std::to_string(image.cols) + "x" + std::to_string(image.rows);
      } else {
        const video_info info = probe_video(*r.video.source_video);
        line += ": " + std::to_string(info.frame_count()) + " frames at " +
                num(info.average_fps, 3) + " frames/s, " + std::to_string(info.width) + "x" +
                std::to_string(info.height);
      }
    } catch (const std::exception& e) {
      line += " (" + html_escape(e.what()) + ")";
    }
    row("input", line);
  }
  const double duration =
      r.left.rows() > 1 ? r.left.timestamp_s.back() - r.left.timestamp_s.front() : 0;
  row("AU files",
      html_escape(r.video.mirrored ? r.video.left_csv.filename().string() + ", " +
                                         r.video.right_csv.filename().string()
                                   : r.video.face_csv.filename().string()) +
          ": " + std::to_string(r.left.rows()) + " frames" +
          (duration > 0
               ? ", " + num(static_cast<double>(r.left.rows() - 1) / duration, 3) + " frames/s"
               : ""));
  if (models.error.empty()) {
    row("models", html_escape(models.root) + " (" + std::to_string(models.files) +
                      " files; SHA-256 of the list below: <code>" + models.digest + "</code>)");
  } else {
    row("models", "not checked: " + html_escape(models.error));
  }
  out += "</table>";
  if (models.error.empty())
    out += "<details><summary>Model files (SHA-256, sha256sum's format)</summary><pre>" +
           html_escape(models.listing) + "</pre></details>";
  out += "</section>\n";
  return out;
}

std::string video_page(const video_report& r, const report_options& options,
                       const model_checksums& models) {
  const std::string stem = r.video.stem;
  std::string out = page_head("facemirror report: " + stem);
  out += "<header><h1>" + std::string(r.video.mirrored ? "Left/right AU report: " : "AU report: ") +
         html_escape(stem) + "</h1><p class=\"muted\">facemirror " + version() + " &middot; " +
         std::to_string(r.left.rows()) + " frames &middot; " +
         num(r.left.rows() ? r.left.timestamp_s.back() : 0, 1) +
         " s &middot; <a href=\"index.html\">all videos</a></p></header>\n";
  out +=
      "<nav><a href=\"#summary-section\">Summary</a><a href=\"#charts\">Charts</a><a "
      "href=\"#quality\">Quality</a><a href=\"#provenance\">Provenance</a><a "
      "href=\"#definitions\">Definitions</a></nav>\n";
  out += "<section id=\"summary-section\"><h2>Summary</h2>" + summary_table(r) + "</section>\n";
  out += charts(r);
  out += quality(r, options);
  out += provenance(r, options, models);
  out += definitions(options, r.video.mirrored);
  out += "</body></html>\n";
  return out;
}

void write_whole(const fs::path& target, const std::string& bytes) {
  atomic_file file(target);
  file.write(bytes);
  file.commit();
}

}  // namespace

std::string asymmetry_csv_header(bool video_column) {
  std::string out = video_column ? "video," : "";
  out += "au,kind";
  for (const char* side : {"left", "right"}) {
    for (const char* field :
         {"frames_with_face", "mean", "p95", "peak", "peak_time_s", "baseline", "excursion"})
      out += std::string(",") + side + "_" + field;
  }
  out += ",asymmetry_index,symmetry_ratio,weaker_side,engagement\n";
  return out;
}

std::string asymmetry_csv_rows(const std::string& stem, const std::vector<au_summary>& rows,
                               bool video_column) {
  std::string out;
  for (const auto& row : rows) {
    if (video_column)
      out += stem + ",";
    out += row.au + (row.intensity ? ",intensity" : ",presence");
    for (const side_stats* s : {&row.left, &row.right}) {
      out += "," + std::to_string(s->frames_with_face) + "," + num(s->mean, 4) + "," +
             num(s->p95, 4) + "," + num(s->peak, 4) + "," + num(s->peak_time_s, 3) + "," +
             num(s->baseline, 4) + "," + num(s->excursion, 4);
    }
    out += "," + (row.asymmetry ? num(*row.asymmetry, 4) : std::string());
    if (row.intensity) {
      const char* state = row.symmetry.state == engagement::engaged       ? "engaged"
                          : row.symmetry.state == engagement::not_engaged ? "not_engaged"
                                                                          : "weaker_side_still";
      out += "," +
             (row.symmetry.state == engagement::not_engaged ? std::string()
                                                            : num(row.symmetry.ratio, 4)) +
             "," + row.symmetry.weaker_side + "," + state;
    } else {
      out += ",,,";
    }
    out += "\n";
  }
  return out;
}

std::vector<report_video> find_report_videos(const fs::path& dir) {
  if (!fs::is_directory(dir))
    throw error(error_code::invalid_argument, "'" + dir.string() + "' is not a folder");
  std::map<std::string, report_video> found;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file())
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  const std::string left_suffix = "_left_mirrored.csv";
  const std::string right_suffix = "_right_mirrored.csv";
  for (const auto& file : files) {
    const std::string name = file.filename().string();
    if (ends_with(name, left_suffix)) {
      const std::string stem = name.substr(0, name.size() - left_suffix.size());
      if (!fs::exists(dir / (stem + right_suffix)))
        continue;
      report_video v;
      v.stem = stem;
      v.mirrored = true;
      v.left_csv = file;
      v.right_csv = dir / (stem + right_suffix);
      // A photograph's mirror job writes PNG images where a video's writes MP4 videos.
      const std::string picture = fs::exists(dir / (stem + "_left_mirrored.png")) ? ".png" : ".mp4";
      v.left_video = dir / (stem + "_left_mirrored" + picture);
      v.right_video = dir / (stem + "_right_mirrored" + picture);
      v.head_pose_csv = dir / (stem + "_head_pose.csv");
      for (const auto& other : files) {
        if (other.stem() == stem + "_source")
          v.source_video = other;
      }
      found[stem] = v;
    }
  }
  for (const auto& file : files) {
    const std::string name = file.filename().string();
    if (file.extension() != ".csv" || ends_with(name, "_mirrored.csv") ||
        ends_with(name, "_asymmetry.csv") || ends_with(name, "_head_pose.csv") ||
        name == "asymmetry_summary.csv")
      continue;
    const std::string stem = file.stem().string();
    if (found.count(stem) != 0 || !looks_like_au_csv(file))
      continue;
    report_video v;
    v.stem = stem;
    v.face_csv = file;
    found[stem] = v;
  }
  std::vector<report_video> out;
  for (auto& [stem, v] : found)
    out.push_back(std::move(v));
  return out;
}

namespace {

// Every video of the folder, analysed (or why not), for the index and the pages.
struct folder_entry {
  report_video video;
  std::optional<video_report> report;
  std::string error;  // when report is empty
};

folder_entry analysed(report_video video, const report_options& options) {
  folder_entry entry;
  entry.video = std::move(video);
  try {
    entry.report = analyse(entry.video, options);
  } catch (const std::exception& e) {
    entry.error = e.what();
  }
  return entry;
}

// The folder's videos; throws for a folder without any.
std::vector<report_video> videos_to_report(const fs::path& dir) {
  std::vector<report_video> videos = find_report_videos(dir);
  if (videos.empty())
    throw error(error_code::invalid_argument,
                "'" + dir.string() +
                    "' holds no AU CSVs to report on (<stem>_left_mirrored.csv and "
                    "<stem>_right_mirrored.csv from 'facemirror mirror', or <stem>.csv from "
                    "'facemirror aus')");
  return videos;
}

std::vector<folder_entry> analyse_folder(const fs::path& dir, const report_options& options) {
  std::vector<report_video> videos = videos_to_report(dir);
  std::vector<folder_entry> entries;
  for (auto& video : videos)
    entries.push_back(analysed(std::move(video), options));
  return entries;
}

// A video's page and (mirror jobs) its asymmetry table.
report_result write_pages(const fs::path& dir, const folder_entry& entry,
                          const report_options& options, const model_checksums& models) {
  report_result result;
  result.stem = entry.video.stem;
  result.html = dir / (entry.video.stem + "_report.html");
  if (!entry.report) {
    result.error = entry.error;
    return result;
  }
  try {
    const video_report& r = *entry.report;
    write_whole(result.html, video_page(r, options, models));
    if (entry.video.mirrored)
      write_whole(
          dir / (entry.video.stem + "_asymmetry.csv"),
          asymmetry_csv_header(false) + asymmetry_csv_rows(entry.video.stem, r.summary, false));
    result.ok = true;
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  return result;
}

// What the folder's index shows of a video: a few numbers and its AU summary, not its series
// (a report_writer keeps these for every video it wrote a page for).
struct index_entry {
  report_video video;
  std::string error;  // why it could not be analysed; then nothing else is set
  size_t frames = 0;
  size_t left_faces = 0, right_faces = 0;  // frames with a face (one-face videos: left)
  std::vector<au_summary> summary;
};

index_entry index_entry_of(const folder_entry& entry) {
  index_entry out;
  out.video = entry.video;
  out.error = entry.report ? std::string() : entry.error;
  if (entry.report) {
    out.frames = entry.report->left.rows();
    out.left_faces = entry.report->left.frames_with_face();
    out.right_faces = entry.report->right.frames_with_face();
    out.summary = entry.report->summary;
  }
  return out;
}

// index.html (a row per video, linked where its page exists) and asymmetry_summary.csv.
void write_folder_index(const fs::path& dir, const std::vector<index_entry>& entries,
                        const std::vector<report_result>& failed_pages) {
  std::string summary = asymmetry_csv_header(true);
  std::string index_rows, failures;
  for (const auto& entry : entries) {
    const auto page_failure =
        std::find_if(failed_pages.begin(), failed_pages.end(),
                     [&](const report_result& r) { return r.stem == entry.video.stem; });
    const std::string error =
        page_failure != failed_pages.end() ? page_failure->error : entry.error;
    if (!error.empty()) {
      failures += "<li>" + html_escape(entry.video.stem) + ": " + html_escape(error) + "</li>";
      continue;
    }
    const report_video& video = entry.video;
    if (video.mirrored)
      summary += asymmetry_csv_rows(video.stem, entry.summary, true);
    // The index names each video's least symmetric engaged AU.
    const au_summary* lowest = nullptr;
    for (const auto& row : entry.summary) {
      if (row.intensity && row.symmetry.state != engagement::not_engaged &&
          (lowest == nullptr || row.symmetry.ratio < lowest->symmetry.ratio))
        lowest = &row;
    }
    std::string worst;
    if (video.mirrored)
      worst = lowest ? lowest->au + " SR " + num(lowest->symmetry.ratio) + " (" +
                           lowest->symmetry.weaker_side + " weaker)"
                     : "no AU engaged";
    const fs::path html = dir / (video.stem + "_report.html");
    const bool linked = fs::exists(html);
    index_rows += "<tr><td class=\"l\">" +
                  (linked ? "<a href=\"" + html_escape(html.filename().string()) + "\">" +
                                html_escape(video.stem) + "</a>"
                          : html_escape(video.stem)) +
                  "</td><td class=\"l\">" + (video.mirrored ? "left/right" : "one face") +
                  "</td><td>" + std::to_string(entry.frames) + "</td><td>" +
                  std::to_string(entry.left_faces) +
                  (video.mirrored ? " / " + std::to_string(entry.right_faces) : "") +
                  "</td><td class=\"l\">" + html_escape(worst) + "</td></tr>\n";
  }
  write_whole(dir / "asymmetry_summary.csv", summary);
  std::string index = page_head("facemirror reports: " + dir.filename().string());
  index +=
      "<h1>facemirror reports</h1><p class=\"muted\">" + html_escape(fs::absolute(dir).string()) +
      " &middot; facemirror " + version() +
      " &middot; numbers for statistics: <code>asymmetry_summary.csv</code>, "
      "<code>&lt;video&gt;_asymmetry.csv</code></p>"
      "<table id=\"videos\"><thead><tr><th class=\"l\">video</th><th "
      "class=\"l\">faces</th><th>frames</th>"
      "<th>with a face</th><th class=\"l\">least symmetric engaged AU</th></tr></thead><tbody>\n" +
      index_rows + "</tbody></table>";
  if (!failures.empty())
    index += "<h2>Failed</h2><ul id=\"failed\">" + failures + "</ul>";
  index += "</body></html>\n";
  write_whole(dir / "index.html", index);
}

}  // namespace

std::vector<report_result> write_report(const fs::path& dir, const report_options& options) {
  const std::vector<folder_entry> entries = analyse_folder(dir, options);
  const model_checksums models = checksum_models(options.models_dir);
  std::vector<report_result> results, failed;
  std::vector<index_entry> index;
  for (const auto& entry : entries) {
    index.push_back(index_entry_of(entry));
    const bool selected = options.stems.empty() ||
                          std::find(options.stems.begin(), options.stems.end(), entry.video.stem) !=
                              options.stems.end();
    if (!selected)
      continue;
    results.push_back(write_pages(dir, entry, options, models));
    if (!results.back().ok)
      failed.push_back(results.back());
  }
  write_folder_index(dir, index, failed);
  return results;
}

namespace {

// A file as it was when read: a report_writer re-reads a video's CSVs for the index only if
// one of them changed since its page was written.
struct file_stamp {
  std::uintmax_t size = 0;
  fs::file_time_type written{};
  bool operator==(const file_stamp& o) const { return size == o.size && written == o.written; }
};

std::vector<file_stamp> stamps_of(const report_video& video) {
  std::vector<file_stamp> out;
  for (const fs::path& csv : {video.left_csv, video.right_csv, video.face_csv}) {
    std::error_code ec;
    file_stamp stamp;
    if (!csv.empty()) {
      stamp.size = fs::file_size(csv, ec);
      stamp.written = fs::last_write_time(csv, ec);
    }
    out.push_back(stamp);
  }
  return out;
}

}  // namespace

struct report_writer::impl {
  fs::path dir;
  report_options options;
  mutable std::once_flag checksummed;
  mutable model_checksums models;
  mutable std::mutex mutex;                   // guards failed and indexed
  mutable std::vector<report_result> failed;  // pages that could not be written
  // Each page's video as the index shows it, with its CSVs' stamps when they were read.
  mutable std::map<std::string, std::pair<index_entry, std::vector<file_stamp>>> indexed;
};

report_writer::report_writer(fs::path dir, report_options options)
    : impl_(std::make_unique<impl>()) {
  impl_->dir = std::move(dir);
  impl_->options = std::move(options);
}

report_writer::~report_writer() = default;

report_result report_writer::write_video(const std::string& stem) const {
  report_result result;
  result.stem = stem;
  result.html = impl_->dir / (stem + "_report.html");
  try {
    std::call_once(impl_->checksummed,
                   [this] { impl_->models = checksum_models(impl_->options.models_dir); });
    result.error = "'" + impl_->dir.string() + "' holds no AU CSVs of '" + stem + "' to report on";
    for (auto& video : find_report_videos(impl_->dir)) {
      if (video.stem != stem)
        continue;
      std::vector<file_stamp> stamps = stamps_of(video);
      const folder_entry entry = analysed(std::move(video), impl_->options);
      result = write_pages(impl_->dir, entry, impl_->options, impl_->models);
      const std::lock_guard<std::mutex> lock(impl_->mutex);
      impl_->indexed[stem] = {index_entry_of(entry), std::move(stamps)};
    }
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  // The index lists the video as failed as long as its last try failed.
  const std::lock_guard<std::mutex> lock(impl_->mutex);
  auto& failed = impl_->failed;
  failed.erase(std::remove_if(failed.begin(), failed.end(),
                              [&](const report_result& r) { return r.stem == stem; }),
               failed.end());
  if (!result.ok)
    failed.push_back(result);
  return result;
}

void report_writer::write_index() const {
  const std::lock_guard<std::mutex> lock(impl_->mutex);
  std::vector<index_entry> entries;
  for (auto& video : videos_to_report(impl_->dir)) {
    const auto known = impl_->indexed.find(video.stem);
    if (known != impl_->indexed.end() && known->second.second == stamps_of(video)) {
      entries.push_back(known->second.first);
      entries.back().video = std::move(video);
    } else {
      entries.push_back(index_entry_of(analysed(std::move(video), impl_->options)));
    }
  }
  write_folder_index(impl_->dir, entries, impl_->failed);
}

}  // namespace facemirror

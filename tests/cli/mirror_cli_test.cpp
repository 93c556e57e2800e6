// End-to-end runs of `facemirror mirror` on short clips cut from the shared videos: S1's output
// names, frame count and rate kept (59.94 fps, rotated portrait input), which half each
// mirrored video keeps, determinism across workers and isolation modes, resume and --force, a
// corrupt input in a batch, `facemirror aus` on the written videos giving the in-pass CSVs, and
// a photograph mirrored into images.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "facemirror/io/video_reader.h"
#include "facemirror/mirror/mirror.h"

#include "cli_support.h"

namespace facemirror::test {
namespace {

namespace fs = std::filesystem;

// stdout of a shell command.
std::string capture(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr)
    return out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

std::string quoted(const fs::path& path) {
  return "'" + path.string() + "'";
}

// A short clip: the first `frames` frames of `source` through `filters`, encoded as `codec`.
void make_clip(const fs::path& source, const fs::path& clip, int frames, const std::string& args) {
  ASSERT_EQ(run_command("ffmpeg -y -loglevel error -i " + quoted(source) + " -an -frames:v " +
                        std::to_string(frames) + " " + args + " " + quoted(clip)),
            0)
      << clip;
}

// 640x360, 30 fps, H.264: the face of subj01 at a size that keeps the tests quick.
void make_subj01_clip(const fs::path& clip, int frames) {
  make_clip(sample_video("subj01_timepoint01.mp4"), clip, frames,
            "-vf scale=640:360 -c:v libx264 -preset veryfast -crf 16 -pix_fmt yuv420p");
}

// Frames 441-560 of 2015-10-15-15-14: the head turns away and back, so that one half-face
// is too narrow to be a face for a while (the tracker loses and finds it again), and the yaw
// goes from under 3 degrees to over 5.
void make_turn_clip(const fs::path& clip) {
  make_clip(sample_video("2015-10-15-15-14.avi"), clip, 120,
            "-vf \"select=between(n\\,440\\,559),setpts=N/FRAME_RATE/TB\" -c:v libx264 "
            "-preset veryfast -crf 16 -pix_fmt yuv420p");
}

// The files in `dir`, by name, but for .facemirror/ (what each video's outputs were made from,
// for a resume; records(dir) lists them).
std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    names.insert(entry.path().filename().string());
  names.erase(".facemirror");
  return names;
}

std::set<std::string> records(const fs::path& dir) {
  std::error_code ec;
  return fs::exists(dir / ".facemirror", ec) ? listing(dir / ".facemirror")
                                             : std::set<std::string>{};
}

std::set<std::string> s1_names(const std::string& stem, const std::string& source_ext,
                               bool aus = true) {
  std::set<std::string> names = {stem + "_right_mirrored.mp4", stem + "_left_mirrored.mp4",
                                 stem + "_debug.mp4", stem + "_source" + source_ext,
                                 stem + "_head_pose.csv"};
  // With AUs the report runs at the end of the job (tests/report checks its contents).
  if (aus) {
    names.insert({stem + "_right_mirrored.csv", stem + "_left_mirrored.csv", stem + "_report.html",
                  stem + "_asymmetry.csv", "index.html", "asymmetry_summary.csv"});
  }
  return names;
}

// What ffprobe reads from the first video stream's header, and the packets it counts.
struct stream_facts {
  std::string avg_frame_rate;
  int64_t nb_frames = -1;
  int64_t packets = -1;
};

stream_facts ffprobe(const fs::path& file) {
  const std::string text = capture(
      "ffprobe -v error -count_packets -select_streams v:0 -show_entries "
      "stream=nb_frames,nb_read_packets,avg_frame_rate -of default=noprint_wrappers=1 " +
      quoted(file));
  stream_facts facts;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const auto eq = line.find('=');
    if (eq == std::string::npos)
      continue;
    const std::string key = line.substr(0, eq);
    const std::string value = line.substr(eq + 1);
    if (key == "avg_frame_rate")
      facts.avg_frame_rate = value;
    else if (key == "nb_frames" && value != "N/A")
      facts.nb_frames = std::stoll(value);
    else if (key == "nb_read_packets" && value != "N/A")
      facts.packets = std::stoll(value);
  }
  return facts;
}

// A CSV as named columns of numbers.
struct table {
  std::vector<std::string> names;
  std::vector<std::vector<double>> rows;

  [[nodiscard]] int column(const std::string& name) const {
    const auto it = std::find(names.begin(), names.end(), name);
    return it == names.end() ? -1 : static_cast<int>(it - names.begin());
  }
  [[nodiscard]] double at(size_t row, const std::string& name) const {
    return rows.at(row).at(static_cast<size_t>(column(name)));
  }
};

table read_table(const fs::path& file) {
  table t;
  const auto lines = read_lines(file);
  if (lines.empty())
    return t;
  t.names = split_fields(lines[0]);
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<double> row;
    for (const auto& field : split_fields(lines[i]))
      row.push_back(std::stod(field));
    t.rows.push_back(std::move(row));
  }
  return t;
}

cv::Mat frame_at(const fs::path& file, int64_t index) {
  video_reader reader(probe_video(file));
  reader.seek(index);
  auto frame = reader.read();
  if (!frame)
    return {};
  return frame->bgr;
}

std::string mirror_cmd(const fs::path& input, const fs::path& out, const std::string& extra = "") {
  return "mirror " + quoted(input) + " -o " + quoted(out) + " " + models_arg() +
         " --progress none " + extra;
}

bool has_partial_files(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().find(".partial-") != std::string::npos)
      return true;
  }
  return false;
}

TEST(mirror_cli_test, one_run_writes_the_six_s1_files) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path clip = dir / "patient 01.avi";  // a space, and a source that is not an .mp4
  // (setpts: the WMV's millisecond timestamps would otherwise leave a dropped-frame entry in
  // the AVI index, which probe_video takes for truncation.)
  make_clip(sample_video("changeLighting.wmv"), clip, 30,
            "-vf 'setpts=N/(15*TB)' -r 15 -c:v mpeg4 -q:v 2");
  // A task plan beside the video goes with the outputs, and the report reads it there.
  const std::string plan = "task,start_s,end_s\nrest,0,0.5\nsmile,0.5,2\n";
  std::ofstream(dir / "patient 01_tasks.csv") << plan;
  const fs::path out = dir / "out";
  const cli_run run = run_cli(mirror_cmd(clip, out, "--segment-frames 10 --workers 2"));
  ASSERT_EQ(run.status, 0) << run.output;
  auto names = s1_names("patient 01", ".avi");
  names.insert({"patient 01_tasks.csv", "patient 01_task_asymmetry.csv", "task_summary.csv"});
  EXPECT_EQ(listing(out), names) << run.output;
  // The run's record, and what was copied of the plan (a plan removed later takes its copy).
  EXPECT_EQ(records(out),
            (std::set<std::string>{"patient 01.mirror.json", "patient 01_tasks.csv.copied"}));
  EXPECT_EQ(read_file(out / "patient 01_tasks.csv"), plan);
  EXPECT_NE(read_file(out / "patient 01_report.html").find("<tr data-task=\"smile\">"),
            std::string::npos);
  EXPECT_NE(run.output.find("ok     " + clip.string() + " -> "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("(30 frames, "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("done 1, skipped 0, failed 0"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("FAILED"), std::string::npos) << run.output;
  // An upright source is copied byte for byte.
  EXPECT_TRUE(read_file(out / "patient 01_source.avi") == read_file(clip));
  // Each CSV has a header and one row per frame, and found the face.
  for (const char* side : {"right", "left"}) {
    const table t = read_table(out / ("patient 01_" + std::string(side) + "_mirrored.csv"));
    ASSERT_EQ(t.rows.size(), 30u) << side;
    ASSERT_GE(t.column("success"), 0);
    ASSERT_GE(t.column("AU12_r"), 0);
    int found = 0;
    for (size_t i = 0; i < t.rows.size(); ++i) {
      EXPECT_EQ(t.at(i, "frame"), static_cast<double>(i + 1));
      found += t.at(i, "success") == 1.0;
    }
    EXPECT_GE(found, 28) << side;
  }
}

TEST(mirror_cli_test, keeps_frame_count_and_59_94_fps) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path clip = dir / "ntsc.mp4";
  // 40 distinct frames retimed to 60000/1001 fps (no duplicates).
  make_clip(sample_video("subj01_timepoint01.mp4"), clip, 40,
            "-vf 'setpts=N*1001/60000/TB,scale=640:360' -r 60000/1001 -c:v libx264 -preset "
            "veryfast -crf 16 -pix_fmt yuv420p");
  const stream_facts in = ffprobe(clip);
  ASSERT_EQ(in.avg_frame_rate, "60000/1001");
  ASSERT_EQ(in.packets, 40);
  const fs::path out = dir / "out";
  const cli_run run = run_cli(mirror_cmd(clip, out, "--no-aus --segment-frames 10 --workers 2"));
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(listing(out), s1_names("ntsc", ".mp4", false));
  for (const char* name :
       {"ntsc_right_mirrored.mp4", "ntsc_left_mirrored.mp4", "ntsc_debug.mp4", "ntsc_source.mp4"}) {
    const stream_facts facts = ffprobe(out / name);
    EXPECT_EQ(facts.avg_frame_rate, "60000/1001") << name;
    EXPECT_EQ(facts.nb_frames, 40) << name;
    EXPECT_EQ(facts.packets, 40) << name;
    const video_info info = probe_video(out / name);
    EXPECT_EQ(info.frame_count(), 40) << name;
    EXPECT_EQ(info.width, 640) << name;
    EXPECT_EQ(info.height, 360) << name;
    // Frame i at i * 1001/60000 s, like the input.
    for (int64_t i = 0; i < info.frame_count(); ++i) {
      ASSERT_NEAR(info.timestamps_s[static_cast<size_t>(i)], i * 1001.0 / 60000.0, 1e-3)
          << name << " frame " << i;
    }
  }
}

// Frame `index` of `file` as ffmpeg itself shows it (autorotated), 8-bit BGR.
cv::Mat ffmpeg_frame_at(const fs::path& file, int64_t index, int width, int height) {
  const std::string raw =
      capture("ffmpeg -v error -i " + quoted(file) + " -vf 'select=eq(n\\," +
              std::to_string(index) + ")' -frames:v 1 -f rawvideo -pix_fmt bgr24 -");
  if (raw.size() != static_cast<size_t>(width) * height * 3)
    return {};
  return cv::Mat(height, width, CV_8UC3, const_cast<char*>(raw.data())).clone();
}

double mean_abs_diff(const cv::Mat& a, const cv::Mat& b) {
  return cv::norm(a, b, cv::NORM_L1) / static_cast<double>(a.total() * a.channels());
}

// A phone-style file: portrait content stored sideways, and a display matrix that turns it
// upright. ffmpeg 5.1's `-metadata:s:v rotate=270` writes a matrix of -90 degrees (a portrait
// phone video's: turn clockwise to show), `rotate=90` one of +90 (turn counter-clockwise).
struct rotation_case {
  const char* name;
  const char* stored;  // how the upright frames are turned to be stored
  const char* tag;
  const char* audio;  // the phone's sound codec (iPhones AAC; Android and WhatsApp also Opus)
};

void PrintTo(const rotation_case& c, std::ostream* os) {
  *os << c.name;
}

class mirror_cli_rotation_test : public ::testing::TestWithParam<rotation_case> {};

TEST_P(mirror_cli_rotation_test, rotated_portrait_input_gives_upright_outputs) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path sideways = dir / "sideways.mp4";
  make_clip(sample_video("subj01_timepoint01.mp4"), sideways, 30,
            std::string("-vf 'crop=540:720:305:0,scale=360:480,transpose=") + GetParam().stored +
                "' -c:v libx264 -preset veryfast -crf 16 -pix_fmt yuv420p");
  // As a phone records it: with sound.
  const fs::path clip = dir / "phone.mp4";
  ASSERT_EQ(run_command("ffmpeg -y -loglevel error -i " + quoted(sideways) +
                        " -f lavfi -i sine=duration=1 -map 0:v -map 1:a -c:v copy -c:a " +
                        GetParam().audio + " -metadata:s:v:0 rotate=" + GetParam().tag + " " +
                        quoted(clip)),
            0);
  const video_info in = probe_video(clip);
  ASSERT_NE(in.rotation_deg, 0);
  ASSERT_EQ(in.width, 360);
  ASSERT_EQ(in.height, 480);

  const fs::path out = dir / "out";
  const cli_run run = run_cli(mirror_cmd(clip, out, "--segment-frames 10 --workers 2"));
  ASSERT_EQ(run.status, 0) << run.output;
  // The source is re-encoded upright as an .mp4 (here the input is an .mp4 anyway).
  EXPECT_EQ(listing(out), s1_names("phone", ".mp4"));
  for (const char* name : {"phone_right_mirrored.mp4", "phone_left_mirrored.mp4", "phone_debug.mp4",
                           "phone_source.mp4"}) {
    const video_info info = probe_video(out / name);
    EXPECT_EQ(info.rotation_deg, 0) << name;
    EXPECT_EQ(info.width, 360) << name;  // portrait
    EXPECT_EQ(info.height, 480) << name;
    EXPECT_EQ(info.frame_count(), 30) << name;
    const stream_facts facts = ffprobe(out / name);
    EXPECT_EQ(facts.avg_frame_rate, "30/1") << name;
    EXPECT_EQ(facts.packets, 30) << name;
  }
  // Upright: the face was found on (nearly) every frame, which a sideways face would not be...
  for (const char* side : {"right", "left"}) {
    const table t = read_table(out / ("phone_" + std::string(side) + "_mirrored.csv"));
    ASSERT_EQ(t.rows.size(), 30u);
    int found = 0;
    for (size_t i = 0; i < t.rows.size(); ++i)
      found += t.at(i, "success") == 1.0;
    EXPECT_GE(found, 28) << side;
  }
  // The upright source keeps the sound (S1's re-encode copied it; S2 reads the examiner's
  // commands from it); the mirrored videos have none, as S1's.
  const auto audio_of = [&](const char* name) {
    return capture(
        "ffprobe -v error -select_streams a -show_entries stream=codec_name -of "
        "csv=p=0 " +
        quoted(out / name));
  };
  EXPECT_EQ(audio_of("phone_source.mp4"),
            std::string(GetParam().audio == std::string("libopus") ? "opus" : "aac") + "\n");
  EXPECT_EQ(audio_of("phone_right_mirrored.mp4"), "");
  // ...and the upright source shows what ffmpeg's autorotation shows.
  const cv::Mat expected = ffmpeg_frame_at(clip, 15, 360, 480);
  ASSERT_FALSE(expected.empty());
  const cv::Mat source = frame_at(out / "phone_source.mp4", 15);
  ASSERT_EQ(source.size(), expected.size());
  const double mae = mean_abs_diff(source, expected);
  std::printf("%s: rotation_deg %d, upright source vs ffmpeg autorotate MAE %.2f\n",
              GetParam().name, in.rotation_deg, mae);
  EXPECT_LT(mae, 3.0);
}

INSTANTIATE_TEST_SUITE_P(display_matrix, mirror_cli_rotation_test,
                         ::testing::Values(rotation_case{"minus90", "cclock", "270", "aac"},
                                           rotation_case{"plus90", "clock", "90", "libopus"}),
                         [](const ::testing::TestParamInfo<rotation_case>& p) {
                           return p.param.name;
                         });

// The debug video's red midline as x = a + b * y, fitted over the rows where it is found.
std::optional<std::pair<double, double>> red_midline(const cv::Mat& debug, int y0, int y1) {
  double n = 0, sy = 0, sx = 0, syy = 0, sxy = 0;
  for (int y = std::max(0, y0); y < std::min(debug.rows, y1); ++y) {
    double count = 0, sum = 0;
    for (int x = 0; x < debug.cols; ++x) {
      const auto& p = debug.at<cv::Vec3b>(y, x);  // BGR
      if (p[2] > 170 && p[1] < 90 && p[0] < 90 && p[2] - p[1] > 110) {
        ++count;
        sum += x;
      }
    }
    if (count == 0 || count > 12)  // nothing, or not a thin line
      continue;
    const double x = sum / count;
    n += 1;
    sy += y;
    sx += x;
    syy += double(y) * y;
    sxy += double(y) * x;
  }
  if (n < 0.4 * (y1 - y0))  // landmarks and the glabella dot cover it on some rows
    return std::nullopt;
  const double b = (n * sxy - sy * sx) / (n * syy - sy * sy);
  return std::make_pair((sx - b * sy) / n, b);
}

// Bilinear sample of one channel.
double sample(const cv::Mat& image, cv::Point2d p, int channel) {
  const int x = static_cast<int>(std::floor(p.x));
  const int y = static_cast<int>(std::floor(p.y));
  const double fx = p.x - x;
  const double fy = p.y - y;
  const auto at = [&](int xx, int yy) {
    xx = std::clamp(xx, 0, image.cols - 1);
    yy = std::clamp(yy, 0, image.rows - 1);
    return static_cast<double>(image.at<cv::Vec3b>(yy, xx)[channel]);
  };
  return (1 - fy) * ((1 - fx) * at(x, y) + fx * at(x + 1, y)) +
         fy * ((1 - fx) * at(x, y + 1) + fx * at(x + 1, y + 1));
}

// Mean absolute difference (all channels) between image `a` at points `pa` and `b` at `pb`.
double mae_at(const cv::Mat& a, const std::vector<cv::Point2d>& pa, const cv::Mat& b,
              const std::vector<cv::Point2d>& pb) {
  double sum = 0;
  for (size_t i = 0; i < pa.size(); ++i) {
    for (int c = 0; c < 3; ++c)
      sum += std::abs(sample(a, pa[i], c) - sample(b, pb[i], c));
  }
  return sum / static_cast<double>(3 * pa.size());
}

TEST(mirror_cli_test, right_mirrored_keeps_the_image_left_half) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path clip = dir / "subj.mp4";
  make_subj01_clip(clip, 30);
  const fs::path out = dir / "out";
  const cli_run run = run_cli(mirror_cmd(clip, out, "--segment-frames 10 --workers 2"));
  ASSERT_EQ(run.status, 0) << run.output;

  const int64_t index = 15;
  const cv::Mat source = frame_at(clip, index);
  const cv::Mat right = frame_at(out / "subj_right_mirrored.mp4", index);
  const cv::Mat left = frame_at(out / "subj_left_mirrored.mp4", index);
  const cv::Mat debug = frame_at(out / "subj_debug.mp4", index);
  ASSERT_FALSE(source.empty());
  ASSERT_EQ(right.size(), source.size());
  ASSERT_EQ(left.size(), source.size());
  ASSERT_EQ(debug.size(), source.size());

  // The face's rows, brows to mouth, from the landmarks of the right-mirrored face (its brows
  // and eyes; CLNF and dlib both put this mirrored face's jaw ~40 px low), and the midline the
  // frame was mirrored across, read off the debug video's red line over those rows.
  const table t = read_table(out / "subj_right_mirrored.csv");
  ASSERT_EQ(t.at(index, "success"), 1.0);
  const auto point = [&](int i) {
    return cv::Point2d(t.at(index, "x_" + std::to_string(i)),
                       t.at(index, "y_" + std::to_string(i)));
  };
  const double brow_y = (point(21).y + point(22).y) / 2;
  const double eye_distance = point(45).x - point(36).x;  // outer eye corners
  const int y0 = static_cast<int>(brow_y);
  const int y1 = static_cast<int>(brow_y + 1.3 * eye_distance);
  const auto line = red_midline(debug, y0, y1);
  ASSERT_TRUE(line) << "no red midline in the debug frame";
  const auto line_x = [&](double y) { return line->first + line->second * y; };
  const cv::Point2d a(line_x(y0), y0);
  const cv::Point2d b(line_x(y1), y1);
  const cv::Point2d d = (b - a) * (1.0 / std::hypot(b.x - a.x, b.y - a.y));
  const auto reflect = [&](cv::Point2d p) {
    const cv::Point2d v = p - a;
    return a + d * (2.0 * v.dot(d)) - v;
  };

  // Face points image-left of the line (8 px clear of the seam), and their reflections.
  std::vector<cv::Point2d> kept, mirrored;
  for (int y = y0; y < y1; y += 2) {
    for (double x = line_x(y) - 8; x > line_x(y) - 0.8 * eye_distance; x -= 2) {
      const cv::Point2d r = reflect({x, static_cast<double>(y)});
      if (r.x < 1 || r.x >= source.cols - 2)
        continue;
      kept.emplace_back(x, y);
      mirrored.push_back(r);
    }
  }
  ASSERT_GT(kept.size(), 500u);

  const double right_keeps = mae_at(right, kept, source, kept);
  const double right_reflects = mae_at(right, mirrored, source, kept);
  const double left_replaces = mae_at(left, kept, source, kept);
  const double left_keeps = mae_at(left, mirrored, source, mirrored);
  const double left_reflects = mae_at(left, kept, source, mirrored);
  std::printf(
      "midline x = %.1f + %.4f y; MAE right_mirrored: image-left vs source %.2f, "
      "image-right vs reflected source %.2f; left_mirrored: image-left vs source %.2f, "
      "image-right vs source %.2f, image-left vs reflected source %.2f (%zu points)\n",
      line->first, line->second, right_keeps, right_reflects, left_replaces, left_keeps,
      left_reflects, kept.size());
  EXPECT_LT(right_keeps, 4.0);     // right_mirrored: the image left is the source's image left
  EXPECT_LT(right_reflects, 8.0);  // and its image right is the reflection of that
  EXPECT_LT(left_keeps, 4.0);      // left_mirrored keeps the image right
  EXPECT_LT(left_reflects, 8.0);   // and reflects it onto the image left
  EXPECT_GT(left_replaces, 3.0 * std::max(right_keeps, 2.0));  // the image left is not kept
}

TEST(mirror_cli_test, same_bytes_whatever_the_workers_and_isolation) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path clip = dir / "clip.mp4";
  make_subj01_clip(clip, 40);
  // The report's CSVs too (its HTML names the command, which names the worker count).
  const std::vector<std::string> names = {"clip_right_mirrored.mp4", "clip_left_mirrored.mp4",
                                          "clip_debug.mp4",          "clip_right_mirrored.csv",
                                          "clip_left_mirrored.csv",  "clip_head_pose.csv",
                                          "clip_asymmetry.csv",      "asymmetry_summary.csv"};
  std::map<std::string, std::string> first;
  int run_index = 0;
  for (const char* config : {"--workers 1", "--workers 2", "--workers 2 --isolation process"}) {
    const fs::path out = dir / ("out" + std::to_string(run_index++));
    const cli_run run =
        run_cli(mirror_cmd(clip, out, std::string("--segment-frames 10 ") + config));
    ASSERT_EQ(run.status, 0) << config << "\n" << run.output;
    for (const auto& name : names) {
      const std::string bytes = read_file(out / name);
      ASSERT_FALSE(bytes.empty()) << config << " " << name;
      if (first.count(name) == 0) {
        first[name] = bytes;
      } else {
        EXPECT_TRUE(bytes == first[name]) << config << " changed the bytes of " << name;
      }
    }
  }
}

TEST(mirror_cli_test, second_run_skips_and_force_redoes) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path clip = dir / "clip.mp4";
  make_subj01_clip(clip, 20);
  const fs::path out = dir / "out";
  const std::string args = mirror_cmd(clip, out, "--segment-frames 10 --workers 2");
  const cli_run first = run_cli(args);
  ASSERT_EQ(first.status, 0) << first.output;
  const auto names = s1_names("clip", ".mp4");
  ASSERT_EQ(listing(out), names);
  std::map<std::string, fs::file_time_type> written;
  for (const auto& name : names)
    written[name] = fs::last_write_time(out / name);

  const cli_run again = run_cli(args);
  EXPECT_EQ(again.status, 0) << again.output;
  EXPECT_NE(again.output.find("skip   " + clip.string()), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("done 0, skipped 1, failed 0"), std::string::npos) << again.output;
  EXPECT_EQ(again.output.find("ok     "), std::string::npos) << again.output;
  for (const auto& name : names)
    EXPECT_EQ(fs::last_write_time(out / name), written[name]) << name << " was rewritten";

  // A missing output means the video is not done: it is redone whole (the head pose table too:
  // it once went unnoticed).
  fs::remove(out / "clip_head_pose.csv");
  const cli_run no_head_pose = run_cli(args);
  EXPECT_EQ(no_head_pose.output.find("skip   "), std::string::npos) << no_head_pose.output;
  EXPECT_TRUE(fs::exists(out / "clip_head_pose.csv"));
  fs::remove(out / "clip_left_mirrored.csv");
  const cli_run missing = run_cli(args);
  EXPECT_EQ(missing.status, 0) << missing.output;
  EXPECT_EQ(missing.output.find("skip   "), std::string::npos) << missing.output;
  EXPECT_EQ(listing(out), names);
  for (const auto& name : names)
    written[name] = fs::last_write_time(out / name);

  const cli_run forced = run_cli(args + " --force");
  EXPECT_EQ(forced.status, 0) << forced.output;
  EXPECT_EQ(forced.output.find("skip   "), std::string::npos) << forced.output;
  EXPECT_NE(forced.output.find("ok     " + clip.string()), std::string::npos) << forced.output;
  EXPECT_EQ(listing(out), names);
  for (const auto& name : names)
    EXPECT_GT(fs::last_write_time(out / name), written[name]) << name << " was not redone";

  // The AU method is part of what the outputs were made with: another one redoes the video.
  const cli_run other_method = run_cli(args + " --au-static --consensus 2");
  EXPECT_EQ(other_method.status, 0) << other_method.output;
  EXPECT_NE(other_method.output.find("redo   " + clip.string() +
                                     " (its outputs were made with other options: --au-static, "
                                     "--consensus)"),
            std::string::npos)
      << other_method.output;

  // Redone without its report (--no-report), the video's page is older than its CSVs: the next
  // run, which skips the video, writes its report again (it once stayed stale for good).
  const std::string same = args + " --au-static --consensus 2";
  ASSERT_EQ(run_cli(same + " --force --no-report").status, 0);
  EXPECT_LT(fs::last_write_time(out / "clip_report.html"),
            fs::last_write_time(out / "clip_left_mirrored.csv"));
  const cli_run skipped = run_cli(same);
  EXPECT_NE(skipped.output.find("skip   " + clip.string()), std::string::npos) << skipped.output;
  EXPECT_GE(fs::last_write_time(out / "clip_report.html"),
            fs::last_write_time(out / "clip_left_mirrored.csv"))
      << skipped.output;
  // A run killed while writing the report (its table and the index not yet there): the next run
  // writes them (the video skipped; they once stayed missing for good).
  fs::remove(out / "clip_asymmetry.csv");
  fs::remove(out / "index.html");
  const cli_run repaired = run_cli(same);
  EXPECT_NE(repaired.output.find("skip   " + clip.string()), std::string::npos) << repaired.output;
  EXPECT_TRUE(fs::exists(out / "clip_asymmetry.csv"));
  EXPECT_TRUE(fs::exists(out / "index.html"));
  // ...and the folder's table, which the index links.
  fs::remove(out / "asymmetry_summary.csv");
  const cli_run summary_repaired = run_cli(same);
  EXPECT_NE(summary_repaired.output.find("skip   " + clip.string()), std::string::npos);
  EXPECT_TRUE(fs::exists(out / "asymmetry_summary.csv")) << summary_repaired.output;
}

// Another recording under the same name, redone without AUs or without a report: the old
// recording's CSVs, page and tables go (they read as the new one's beside its new videos).
TEST(mirror_cli_test, a_replaced_recording_leaves_none_of_the_old_ones_outputs) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path clip = dir / "clip.mp4";
  make_subj01_clip(clip, 12);
  const fs::path out = dir / "out";
  ASSERT_EQ(run_cli(mirror_cmd(clip, out, "-q")).status, 0);
  ASSERT_TRUE(fs::exists(out / "clip_report.html"));
  ASSERT_TRUE(fs::exists(out / "clip_left_mirrored.csv"));
  make_subj01_clip(clip, 16);  // another recording, under the same name
  const cli_run no_aus = run_cli(mirror_cmd(clip, out, "--no-aus"));
  ASSERT_EQ(no_aus.status, 0) << no_aus.output;
  EXPECT_NE(no_aus.output.find("redo   " + clip.string() + " (the input is not the file"),
            std::string::npos)
      << no_aus.output;
  EXPECT_EQ(probe_video(out / "clip_left_mirrored.mp4").frame_count(), 16);
  for (const char* old : {"clip_left_mirrored.csv", "clip_right_mirrored.csv", "clip_report.html",
                          "clip_asymmetry.csv"})
    EXPECT_FALSE(fs::exists(out / old)) << old << " of the earlier recording is still there";
  EXPECT_TRUE(fs::exists(out / "clip_head_pose.csv"));
}

// Mirroring a folder into itself twice: the second run finds the first's mirrored, debug and
// source videos in the folder and leaves them out (each once mirrored them again, and again on
// every later run: 8 files became 36), so it only skips the one video.
TEST(mirror_cli_test, a_folder_mirrored_into_itself_again_is_not_mirrored_twice) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  make_subj01_clip(dir / "clip.mp4", 10);
  const std::string args = mirror_cmd(dir, dir, "--workers 2 --no-report");
  const cli_run first = run_cli(args);
  ASSERT_EQ(first.status, 0) << first.output;
  auto names = s1_names("clip", ".mp4", true);
  for (const char* report_file :
       {"clip_report.html", "clip_asymmetry.csv", "index.html", "asymmetry_summary.csv"})
    names.erase(report_file);
  names.insert("clip.mp4");
  ASSERT_EQ(listing(dir), names) << first.output;

  const cli_run again = run_cli(args);
  EXPECT_EQ(again.status, 0) << again.output;
  EXPECT_NE(again.output.find("done 0, skipped 1, failed 0"), std::string::npos) << again.output;
  for (const char* output :
       {"clip_left_mirrored.mp4", "clip_right_mirrored.mp4", "clip_debug.mp4", "clip_source.mp4"}) {
    EXPECT_NE(again.output.find("skip   " + (dir / output).string() + " (an output of mirroring " +
                                (dir / "clip.mp4").string() + ")"),
              std::string::npos)
        << again.output;
  }
  EXPECT_EQ(listing(dir), names);

  // The output folder given as input without its source: still the outputs of a mirror job.
  fs::remove(dir / "clip.mp4");
  const cli_run outputs_only = run_cli(mirror_cmd(dir, dir / "again", "--workers 2 --no-report"));
  EXPECT_NE(outputs_only.output.find("skip   " + (dir / "clip_debug.mp4").string() +
                                     " (an output of mirroring clip's video)"),
            std::string::npos)
      << outputs_only.output;
  EXPECT_EQ(outputs_only.status, 2);
  EXPECT_NE(outputs_only.output.find("no video to mirror: every input is a mirror job's output"),
            std::string::npos)
      << outputs_only.output;
}

// A task plan put beside a finished video is taken along by the next run, which skips the
// video but writes its report again, now with the task section; nothing else is rewritten. So
// is a plan edited there later; one edited in the output folder later is kept. A plan removed
// there takes its untouched copy with it.
TEST(mirror_cli_test, a_task_plan_added_later_updates_the_report_on_the_next_run) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path clip = dir / "clip.mp4";
  make_subj01_clip(clip, 20);
  const fs::path out = dir / "out";
  const std::string args = mirror_cmd(clip, out, "--workers 2");
  ASSERT_EQ(run_cli(args).status, 0);
  EXPECT_EQ(read_file(out / "clip_report.html").find("id=\"tasks\""), std::string::npos);
  const auto csv_written = fs::last_write_time(out / "clip_left_mirrored.csv");

  std::ofstream(dir / "clip_tasks.csv") << "task,start_s,end_s\nsmile,0.2,0.6\n";
  const cli_run again = run_cli(args);
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_NE(again.output.find("skip   " + clip.string()), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("tasks  " + (dir / "clip_tasks.csv").string()), std::string::npos)
      << again.output;
  EXPECT_NE(read_file(out / "clip_report.html").find("<tr data-task=\"smile\">"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(out / "clip_task_asymmetry.csv"));
  EXPECT_EQ(fs::last_write_time(out / "clip_left_mirrored.csv"), csv_written);

  // The newer plan wins. Edited beside the video (the app's editor writes there), it replaces
  // the copy and the report follows; edited in the output folder since, it is the user's.
  const std::string edited = "task,start_s,end_s,aus\nsmile,0.2,0.6,\nbrow_raise,0.1,0.5,\n";
  std::ofstream(dir / "clip_tasks.csv") << edited;
  fs::last_write_time(dir / "clip_tasks.csv",
                      fs::last_write_time(out / "clip_tasks.csv") + std::chrono::seconds(2));
  const cli_run edited_run = run_cli(args);
  ASSERT_EQ(edited_run.status, 0) << edited_run.output;
  EXPECT_NE(edited_run.output.find("tasks  "), std::string::npos) << edited_run.output;
  EXPECT_EQ(read_file(out / "clip_tasks.csv"), edited);
  EXPECT_NE(read_file(out / "clip_report.html").find("<tr data-task=\"brow_raise\">"),
            std::string::npos);
  const std::string own = "task,start_s,end_s\nsnarl,0.2,0.6\n";
  std::ofstream(out / "clip_tasks.csv") << own;
  fs::last_write_time(out / "clip_tasks.csv",
                      fs::last_write_time(dir / "clip_tasks.csv") + std::chrono::seconds(2));
  const cli_run kept_run = run_cli(args);
  ASSERT_EQ(kept_run.status, 0) << kept_run.output;
  EXPECT_EQ(kept_run.output.find("tasks  "), std::string::npos) << kept_run.output;
  EXPECT_EQ(read_file(out / "clip_tasks.csv"), own);

  // The plan removed beside the video (the app's "Remove plan"): the output folder's copy goes
  // with it and the report loses its tasks, unless the copy was edited there (the user's).
  fs::remove(dir / "clip_tasks.csv");
  ASSERT_EQ(run_cli(args).status, 0);
  EXPECT_EQ(read_file(out / "clip_tasks.csv"), own);
  std::ofstream(dir / "clip_tasks.csv") << edited;
  fs::last_write_time(dir / "clip_tasks.csv",
                      fs::last_write_time(out / "clip_tasks.csv") + std::chrono::seconds(2));
  ASSERT_EQ(run_cli(args).status, 0);
  ASSERT_EQ(read_file(out / "clip_tasks.csv"), edited);
  fs::remove(dir / "clip_tasks.csv");
  const cli_run removed_run = run_cli(args);
  ASSERT_EQ(removed_run.status, 0) << removed_run.output;
  EXPECT_NE(removed_run.output.find("tasks  " + (dir / "clip_tasks.csv").string() +
                                    " removed: so is its copy"),
            std::string::npos)
      << removed_run.output;
  EXPECT_FALSE(fs::exists(out / "clip_tasks.csv"));
  EXPECT_FALSE(fs::exists(out / "clip_task_asymmetry.csv"));
  EXPECT_EQ(read_file(out / "clip_report.html").find("id=\"tasks\""), std::string::npos);
  EXPECT_EQ(fs::last_write_time(out / "clip_left_mirrored.csv"), csv_written);
}

// S1's users have folders of mirrored pairs (<stem>_left_mirrored.mp4, <stem>_right_mirrored.mp4)
// with one plan for the pair, <stem>_tasks.csv: `aus` on them takes it along, as the mirror
// job does, and the folder's report compares the pair task by task. A plain video's aus job
// takes its own plan, and the report gives its one face's tasks. `facemirror openface` leaves
// OpenFace's folder to OpenFace's files.
TEST(mirror_cli_test, aus_takes_the_task_plan_of_a_pair_and_of_one_face) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path in = dir / "in";
  fs::create_directories(in);
  for (const std::string side : {"left", "right"})
    make_clip(*shared_dir() / "videos/mirrored" / ("default_" + side + "_mirrored.mp4"),
              in / ("pat 1_" + side + "_mirrored.mp4"), 20,
              "-c:v libx264 -preset veryfast -crf 16 -pix_fmt yuv420p");
  make_subj01_clip(in / "plain.mp4", 10);
  const std::string plan = "task,start_s,end_s\nrest,0,0.2\nsmile,0.2,0.6\n";
  std::ofstream(in / "pat 1_tasks.csv") << plan;
  std::ofstream(in / "plain_tasks.csv") << plan;
  const fs::path out = dir / "out";
  const cli_run run =
      run_cli("aus " + quoted(in) + " -o " + quoted(out) + " " + models_arg() + " --workers 2");
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(read_file(out / "pat 1_tasks.csv"), plan);
  EXPECT_EQ(read_file(out / "plain_tasks.csv"), plan);
  const cli_run report = run_cli("report " + quoted(out) + " -q " + models_arg());
  ASSERT_EQ(report.status, 0) << report.output;
  EXPECT_NE(read_file(out / "pat 1_report.html").find("<tr data-task=\"smile\">"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(out / "pat 1_task_asymmetry.csv"));
  EXPECT_NE(read_file(out / "plain_report.html").find("<tr data-task=\"smile\">"),
            std::string::npos);
  EXPECT_NE(read_file(out / "plain_task_aus.csv").find("\nsmile,0.200,0.600,"), std::string::npos);
  EXPECT_FALSE(fs::exists(out / "plain_task_asymmetry.csv"));

  const fs::path processed = dir / "processed";
  const cli_run openface = run_cli("openface -f " + quoted(in / "plain.mp4") + " -out_dir " +
                                   quoted(processed) + " -aus -q " + models_arg());
  ASSERT_EQ(openface.status, 0) << openface.output;
  EXPECT_TRUE(fs::exists(processed / "plain.csv"));
  EXPECT_FALSE(fs::exists(processed / "plain_tasks.csv"));
}

TEST(mirror_cli_test, corrupt_input_fails_alone_and_leaves_nothing) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path in = dir / "in";
  fs::create_directories(in);
  make_subj01_clip(in / "good.mp4", 20);
  fs::path longer = dir / "longer.mp4";
  make_subj01_clip(longer, 60);
  // Cut at 60% of its bytes: the header still lists all 60 frames.
  const auto size = fs::file_size(longer);
  ASSERT_EQ(run_command("head -c " + std::to_string(size * 6 / 10) + " " + quoted(longer) + " > " +
                        quoted(in / "truncated.mp4")),
            0);
  const fs::path out = dir / "out";
  const cli_run run = run_cli(mirror_cmd(in, out, "--segment-frames 10 --workers 2"));
  EXPECT_EQ(run.status, 1) << run.output;
  EXPECT_EQ(listing(out), s1_names("good", ".mp4")) << run.output;
  EXPECT_EQ(records(out), std::set<std::string>{"good.mirror.json"});  // none for the failed one
  EXPECT_FALSE(has_partial_files(out));
  const std::string bad = (in / "truncated.mp4").string();
  const auto at = run.output.find(bad);
  ASSERT_NE(at, std::string::npos) << run.output;
  const auto line_start = run.output.rfind('\n', at) + 1;
  EXPECT_EQ(run.output.compare(line_start, 7, "FAILED "), 0) << run.output;
  EXPECT_NE(run.output.find("ok     " + (in / "good.mp4").string()), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("done 1, skipped 0, failed 1"), std::string::npos) << run.output;
}

// Frames without a face are copied unchanged (and flagged in the debug video); a video with no
// face at all is still written, but the run warns that its "mirrored" videos are not mirrored.
TEST(mirror_cli_test, a_video_without_a_face_is_written_with_a_warning) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path in = dir / "in";
  fs::create_directories(in);
  // Tagged BT.709, as phone videos are: "copied unchanged" includes the colours a player shows.
  ASSERT_EQ(run_command("ffmpeg -v error -y -f lavfi -i color=c=gray:s=320x240:r=25:d=0.8 "
                        "-c:v libx264 -pix_fmt yuv420p -colorspace bt709 -color_primaries bt709 "
                        "-color_trc bt709 " +
                        quoted(in / "blank.mp4")),
            0);
  const fs::path out = dir / "out";
  const cli_run run = run_cli(mirror_cmd(in, out, "--workers 2 -q"));
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("WARNING " + (in / "blank.mp4").string() +
                            ": no face found in any frame (the mirrored videos are its frames "
                            "copied unchanged"),
            std::string::npos)
      << run.output;
  EXPECT_TRUE(fs::exists(out / "blank_left_mirrored.mp4"));
  for (const char* written :
       {"blank_left_mirrored.mp4", "blank_right_mirrored.mp4", "blank_debug.mp4"}) {
    EXPECT_TRUE(probe_video(out / written).colour == (colour_description{1, 1, 1})) << written;
    // The bitstream's own tags (its SPS), as a player reading the stream alone sees them.
    const std::string sps =
        capture("ffmpeg -v error -i " + quoted(out / written) +
                " -c copy -bsf:v h264_mp4toannexb -f h264 - | ffprobe -v error -show_entries "
                "stream=color_space,color_primaries,color_transfer -of csv=p=0 -");
    EXPECT_NE(sps.find("bt709,bt709,bt709"), std::string::npos) << written << ": " << sps;
  }
}

// The mirrored faces' AUs are measured on the written mirrored videos, each as one continuous
// track, exactly as `facemirror aus` measures a video carrying the mirrored tag: so the AUs-only
// mode on the written videos gives the mirror job's CSVs byte for byte, and neither depends on
// either run's workers or --segment-frames (a patient's left/right AUs must not: with the
// mirrored faces cut into segments and handed over within 0.01 px, 2015-10-15-15-14's left face
// differed by 0.53 px and mean per-AU r 0.911 between 240-frame segments and one). (Analysing
// the uncompressed frames instead left per-AU r at 0.51-0.96 between the two: codec noise,
// amplified by the tracked fit and OpenFace's person-specific normalisation.)
TEST(mirror_cli_test, aus_of_the_written_videos_reproduce_the_in_pass_csvs) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path input = dir / "turn.mp4";
  make_turn_clip(input);
  const fs::path out = dir / "out";
  const cli_run run = run_cli(mirror_cmd(input, out, "--workers 2 --segment-frames 30"));
  ASSERT_EQ(run.status, 0) << run.output;
  const fs::path right = out / "turn_right_mirrored.mp4";
  const fs::path left = out / "turn_left_mirrored.mp4";
  EXPECT_EQ(probe_video(right).comment, "facemirror mirrored face");
  EXPECT_EQ(probe_video(out / "turn_debug.mp4").comment, "");

  const fs::path other = dir / "other";
  const cli_run aus =
      run_cli("aus " + quoted(right) + " " + quoted(left) + " -o " + quoted(other) + " " +
              models_arg() + " --progress none --workers 1 --segment-frames 50");
  ASSERT_EQ(aus.status, 0) << aus.output;
  const fs::path one_segment = dir / "one_segment";
  const cli_run whole =
      run_cli(mirror_cmd(input, one_segment, "--workers 2 --no-report --segment-frames 100000"));
  ASSERT_EQ(whole.status, 0) << whole.output;
  for (const char* side : {"right", "left"}) {
    const std::string name = "turn_" + std::string(side) + "_mirrored.csv";
    const table rows = read_table(out / name);
    ASSERT_EQ(rows.rows.size(), 120u) << name;
    EXPECT_TRUE(read_file(out / name) == read_file(other / name)) << name << " differs";
    EXPECT_TRUE(read_file(out / name) == read_file(one_segment / name))
        << name << " depends on --segment-frames";
  }
  EXPECT_FALSE(read_file(out / "turn_right_mirrored.csv") ==
               read_file(out / "turn_left_mirrored.csv"));
}

// The frames of `file` (in decode order, which is display order without B-frames) that are key
// frames.
std::vector<int64_t> key_frames(const fs::path& file) {
  std::istringstream flags(
      capture("ffprobe -v error -select_streams v:0 -show_entries "
              "packet=flags -of csv=p=0 " +
              quoted(file)));
  std::vector<int64_t> keys;
  int64_t index = 0;
  for (std::string line; std::getline(flags, line); ++index) {
    if (!line.empty() && line[0] == 'K')
      keys.push_back(index);
  }
  return keys;
}

// The yaw class a debug frame's banner shows, read from its colour near the right edge (clear
// of the text): green, orange, or red (too much yaw, or no face).
yaw_quality banner_class(const cv::Mat& debug_frame) {
  const cv::Vec3b pixel = debug_frame.at<cv::Vec3b>(15, debug_frame.cols - 4);
  const std::pair<yaw_quality, cv::Vec3d> colours[] = {{yaw_quality::good, {0, 150, 0}},
                                                       {yaw_quality::acceptable, {0, 165, 255}},
                                                       {yaw_quality::poor, {0, 0, 255}}};
  yaw_quality nearest = yaw_quality::poor;
  double best = 1e9;
  for (const auto& [quality, colour] : colours) {
    const double distance = cv::norm(cv::Vec3d(pixel) - colour);
    if (distance < best) {
      best = distance;
      nearest = quality;
    }
  }
  return nearest;
}

// The debug video's banner shows the yaw the head-pose CSV holds (the report's yaw chart), on a
// clip whose yaw crosses both of the banner's thresholds; the encoder keeps the settings it
// states: the mirrored videos at the user's --crf, the debug video ten steps coarser (x264
// records its options in the stream), a key frame every 60 frames in each.
TEST(mirror_cli_test, debug_banner_shows_the_head_pose_yaw_and_encoder_settings_hold) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path input = dir / "turn.mp4";
  make_turn_clip(input);
  const fs::path out = dir / "out";
  const cli_run run =
      run_cli(mirror_cmd(input, out, "--no-aus --crf 23 --workers 2 --segment-frames 100000"));
  ASSERT_EQ(run.status, 0) << run.output;

  for (const std::string name :
       {"turn_right_mirrored.mp4", "turn_left_mirrored.mp4", "turn_debug.mp4"}) {
    const std::string crf = name == "turn_debug.mp4" ? " crf=33.0 " : " crf=23.0 ";
    EXPECT_NE(read_file(out / name).find(crf), std::string::npos) << name << " lacks" << crf;
    EXPECT_EQ(key_frames(out / name), (std::vector<int64_t>{0, 60})) << name;
  }

  const table pose = read_table(out / "turn_head_pose.csv");
  ASSERT_EQ(pose.rows.size(), 120u);
  video_reader debug(probe_video(out / "turn_debug.mp4"));
  std::map<yaw_quality, int> compared;
  for (size_t i = 0; i < pose.rows.size(); ++i) {
    const auto frame = debug.read();
    ASSERT_TRUE(frame) << "the debug video ends at frame " << i;
    const double yaw = pose.at(i, "yaw_deg");
    // The CSV rounds to 0.01 degrees: a frame that close to a threshold could show either.
    if (pose.at(i, "success") != 1.0 || std::abs(std::abs(yaw) - 3) <= 0.01 ||
        std::abs(std::abs(yaw) - 5) <= 0.01)
      continue;
    const yaw_quality expected = classify_yaw(yaw);
    EXPECT_EQ(banner_class(frame->bgr), expected) << "frame " << i + 1 << ", yaw " << yaw;
    ++compared[expected];
  }
  EXPECT_GE(compared[yaw_quality::good], 10);
  EXPECT_GE(compared[yaw_quality::acceptable], 5);
  EXPECT_GE(compared[yaw_quality::poor], 10);
}

// mirror --consensus 3 measures each mirrored face three times and writes the median, the CSVs
// that `aus --consensus 3` gives on the written videos, with other workers and isolation; the
// videos are the one-track run's, and no draw is left in the folder.
TEST(mirror_cli_test, consensus_csvs_are_those_of_aus_consensus_on_the_written_videos) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path input = dir / "face.mp4";
  make_subj01_clip(input, 90);
  const fs::path out = dir / "out";
  const cli_run run =
      run_cli(mirror_cmd(input, out, "--workers 2 --isolation process --consensus 3"));
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(listing(out), s1_names("face", ".mp4"));
  const fs::path right = out / "face_right_mirrored.mp4";
  const fs::path left = out / "face_left_mirrored.mp4";
  const cli_run aus =
      run_cli("aus " + quoted(right) + " " + quoted(left) + " -o " + quoted(dir / "aus") + " " +
              models_arg() + " --progress none --workers 1 --consensus 3");
  ASSERT_EQ(aus.status, 0) << aus.output;
  const cli_run single = run_cli(mirror_cmd(input, dir / "single", "--workers 2 --no-report"));
  ASSERT_EQ(single.status, 0) << single.output;
  int differ = 0;
  for (const char* side : {"right", "left"}) {
    const std::string name = "face_" + std::string(side) + "_mirrored";
    EXPECT_TRUE(read_file(out / (name + ".csv")) == read_file(dir / "aus" / (name + ".csv")))
        << name;
    EXPECT_TRUE(read_file(out / (name + ".mp4")) == read_file(dir / "single" / (name + ".mp4")))
        << name;
    differ += read_file(out / (name + ".csv")) != read_file(dir / "single" / (name + ".csv"));
  }
  EXPECT_GT(differ, 0) << "the consensus gave one track's CSVs";

  // The folder's report written again later, without options: its provenance still says how
  // the AU files were made (the run's record), and checks the models folder that run used.
  ASSERT_EQ(run_cli("report " + quoted(out) + " -q").status, 0);
  const std::string page = read_file(out / "face_report.html");
  const auto made_by = page.find("AU files made by</th><td class=\"l\"><code>");
  ASSERT_NE(made_by, std::string::npos) << "no record of the mirror command";
  EXPECT_NE(page.find("--consensus 3", made_by), std::string::npos);
  EXPECT_NE(page.find("report written by</th>"), std::string::npos);
  const std::string models =
      fs::absolute(*shared_dir() / "models/openface").lexically_normal().string();
  EXPECT_NE(page.find("<th class=\"l\">models</th><td class=\"l\">" + models + " ("),
            std::string::npos)
      << models;
}

// A mirrored face is one continuous track (mirror_tag.h): `aus` on a video that carries the
// mirrored tag chains its 240-frame segments, each carried on from the state the one before
// ended in and never handed over to a cold start, so its CSV is the same video's tracked as one
// segment byte for byte, with any workers, isolation and --segment-frames.
TEST(mirror_cli_test, a_mirrored_video_is_one_track_whatever_the_workers_and_layout) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  // Frames 300-699 of a shipped mirrored video, its head turn: two chained segments, 240 + 160.
  const fs::path plain = dir / "plain.mp4";
  make_clip(*shared_dir() / "videos/mirrored/2015-10-15-15-14_left_mirrored.mp4", plain, 400,
            "-vf \"select=between(n\\,300\\,699),setpts=N/FRAME_RATE/TB,scale=320:240\" "
            "-c:v libx264 -preset veryfast -crf 16 -pix_fmt yuv420p");
  const fs::path tagged = dir / "tagged.mp4";  // the same stream, tagged
  ASSERT_EQ(
      run_command("ffmpeg -y -loglevel error -i " + quoted(plain) +
                  " -c copy -metadata comment=\"facemirror mirrored face\" " + quoted(tagged)),
      0);
  const cli_run one = run_cli("aus " + quoted(plain) + " -o " + quoted(dir / "one") + " " +
                              models_arg() + " --progress none --segment-frames 100000");
  ASSERT_EQ(one.status, 0) << one.output;
  const std::string continuous = read_file(dir / "one" / "plain.csv");
  ASSERT_FALSE(continuous.empty());
  int run_index = 0;
  for (const char* config : {"--workers 1", "--workers 2 --segment-frames 30",
                             "--workers 2 --isolation process --segment-frames 7"}) {
    const fs::path out = dir / ("tagged" + std::to_string(run_index++));
    const cli_run run = run_cli("aus " + quoted(tagged) + " -o " + quoted(out) + " " +
                                models_arg() + " --progress none " + config);
    ASSERT_EQ(run.status, 0) << config << "\n" << run.output;
    EXPECT_TRUE(read_file(out / "tagged.csv") == continuous)
        << config << ": not the continuous track";
  }
}

// A photograph: S1's files as lossless PNG images (the kept half exactly the source's pixels),
// each mirrored face's CSV in FaceLandmarkImg's layout with one symmetric face, the row that
// `facemirror aus` on the written image gives; a photograph without a face fails alone.
// In a group photo the mirrored side whose face is not found must not take another person's:
// sample2.jpg's left mirrored image holds two faces, the nearer 870 px from the source face (its
// jaw is 116 px wide), so its CSV has the header only; the right side's face is found where the
// source's was, and the report compares nothing for a side without a face.
TEST(mirror_cli_test, a_group_photos_mirrored_side_takes_no_other_persons_face) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path out = scratch_dir() / "out";
  const cli_run run = run_cli("mirror " + quoted(sample_video("sample2.jpg")) + " -o " +
                              quoted(out) + " " + models_arg() + " --progress none");
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(read_lines(out / "sample2_left_mirrored.csv").size(), 1u);
  EXPECT_EQ(read_lines(out / "sample2_right_mirrored.csv").size(), 2u);
  EXPECT_NE(read_file(out / "sample2_report.html").find("no face on one side"), std::string::npos);
}

TEST(mirror_cli_test, a_photo_is_mirrored_into_png_images_and_one_row_csvs) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path photo = sample_video("sample1.jpg");
  const fs::path blank = dir / "blank.png";
  ASSERT_TRUE(cv::imwrite(blank.string(), cv::Mat(240, 320, CV_8UC3, cv::Scalar(128, 128, 128))));
  const fs::path out = dir / "out";
  const cli_run run = run_cli("mirror " + quoted(photo) + " " + quoted(blank) + " -o " +
                              quoted(out) + " " + models_arg() + " --progress none --workers 2");
  EXPECT_EQ(run.status, 1) << run.output;
  EXPECT_NE(run.output.find(blank.string() + ": no face to mirror (none found)"), std::string::npos)
      << run.output;
  EXPECT_EQ(listing(out),
            (std::set<std::string>{"sample1_right_mirrored.png", "sample1_left_mirrored.png",
                                   "sample1_debug.png", "sample1_source.jpg",
                                   "sample1_head_pose.csv", "sample1_right_mirrored.csv",
                                   "sample1_left_mirrored.csv", "sample1_report.html",
                                   "sample1_asymmetry.csv", "index.html", "asymmetry_summary.csv"}))
      << run.output;
  EXPECT_TRUE(read_file(out / "sample1_source.jpg") == read_file(photo));
  const table pose = read_table(out / "sample1_head_pose.csv");
  ASSERT_EQ(pose.rows.size(), 1u);
  EXPECT_EQ(pose.at(0, "success"), 1.0);

  // The source face's midline (glabella to chin) from `facemirror aus` on the photograph.
  ASSERT_EQ(
      run_cli("aus " + quoted(photo) + " -o " + quoted(dir / "aus") + " " + models_arg() + " -q")
          .status,
      0);
  const table face = read_table(dir / "aus/sample1.csv");
  ASSERT_EQ(face.rows.size(), 1u);
  // The head-pose file gives the source face's yaw in degrees (two decimals) and its confidence,
  // those of `aus`'s row: the turn from the line of sight, pose_Ry (radians, three decimals: up
  // to 0.03 degrees off) less atan2(pose_Tx, pose_Tz). This face is off to the picture's left
  // and turned: 16.6 degrees, where pose_Ry alone read 0.9 ("optimal").
  const head_pose seen{face.at(0, "pose_Tx"), face.at(0, "pose_Ty"), face.at(0, "pose_Tz"),
                       face.at(0, "pose_Rx"), face.at(0, "pose_Ry"), face.at(0, "pose_Rz")};
  EXPECT_NEAR(pose.at(0, "yaw_deg"), mirroring_yaw_deg(seen), 0.04);
  EXPECT_GT(std::abs(pose.at(0, "yaw_deg")), 10.0);
  EXPECT_NEAR(pose.at(0, "confidence"), face.at(0, "confidence"), 0.01);
  const auto point = [](const table& t, int i) {
    return cv::Point2d(t.at(0, "x_" + std::to_string(i)), t.at(0, "y_" + std::to_string(i)));
  };
  const cv::Point2d glabella = (point(face, 21) + point(face, 22)) * 0.5, chin = point(face, 8);
  const auto landmarks_of = [&point](const table& t) {
    landmarks_2d landmarks{};
    for (int i = 0; i < 68; ++i)
      landmarks[static_cast<size_t>(i)] = point(t, i);
    return landmarks;
  };
  const landmarks_2d source_landmarks = landmarks_of(face);
  const auto line_x = [&](double y) {
    return glabella.x + (chin.x - glabella.x) * (y - glabella.y) / (chin.y - glabella.y);
  };
  const cv::Mat source = cv::imread(photo.string());
  const cv::Mat right = cv::imread((out / "sample1_right_mirrored.png").string());
  const cv::Mat left = cv::imread((out / "sample1_left_mirrored.png").string());
  ASSERT_EQ(right.size(), source.size());
  ASSERT_EQ(left.size(), source.size());
  // Pixels 5 px or more from the line (clear of the 3 px seam): each image keeps its half exactly
  // and replaces the other.
  int64_t image_left = 0, image_right = 0, right_kept = 0, left_kept = 0, left_replaced = 0;
  for (int y = 0; y < source.rows; ++y) {
    for (int x = 0; x < source.cols; ++x) {
      const double offset = x - line_x(y);
      if (std::abs(offset) < 5)
        continue;
      const auto pixel = source.at<cv::Vec3b>(y, x);
      if (offset < 0) {
        ++image_left;
        right_kept += right.at<cv::Vec3b>(y, x) == pixel;
        left_replaced += left.at<cv::Vec3b>(y, x) != pixel;
      } else {
        ++image_right;
        left_kept += left.at<cv::Vec3b>(y, x) == pixel;
      }
    }
  }
  EXPECT_EQ(right_kept, image_left);  // right_mirrored: the image left is the photograph's
  EXPECT_EQ(left_kept, image_right);  // left_mirrored: the image right is
  EXPECT_GT(left_replaced, image_left / 2);

  // One row per side, FaceLandmarkImg's header, a symmetric face, `aus`'s row for that image.
  const auto header = read_lines(*shared_dir() / "reference/openface22/images/sample1.csv")[0];
  ASSERT_EQ(run_cli("aus " + quoted(out / "sample1_right_mirrored.png") + " " +
                    quoted(out / "sample1_left_mirrored.png") + " -o " + quoted(dir / "again") +
                    " " + models_arg() + " -q")
                .status,
            0);
  std::vector<std::string> rows;
  for (const std::string side : {"right", "left"}) {
    const std::string stem = "sample1_" + side + "_mirrored";
    const auto lines = read_lines(out / (stem + ".csv"));
    ASSERT_EQ(lines.size(), 2u) << side;
    EXPECT_EQ(lines[0], header) << side;
    const auto again = read_lines(dir / "again" / (stem + ".csv"));
    EXPECT_NE(std::find(again.begin() + 1, again.end(), lines[1]), again.end()) << side;
    const landmarks_2d landmarks = landmarks_of(read_table(out / (stem + ".csv")));
    // Measured: 0.040 and 0.038, the photograph's own face 0.081 (a single fit from a frontal
    // start on a mirrored face, where a tracked video face reaches ~0.005).
    EXPECT_LT(landmark_asymmetry(landmarks), 0.6 * landmark_asymmetry(source_landmarks)) << side;
    rows.push_back(lines[1]);
  }
  EXPECT_NE(rows[0], rows[1]);  // two different faces
}

}  // namespace
}  // namespace facemirror::test

#pragma once
// Helpers for the io tests: making videos with the ffmpeg CLI and comparing decoded frames.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "facemirror/io/video_reader.h"

#include "support/test_data.h"

namespace facemirror::test {

inline bool have_ffmpeg() {
  static const bool found = run_command("ffmpeg -version >/dev/null 2>&1") == 0;
  return found;
}

#define FACEMIRROR_REQUIRE_FFMPEG()           \
  do {                                        \
    if (!::facemirror::test::have_ffmpeg())   \
      GTEST_SKIP() << "ffmpeg CLI not found"; \
  } while (0)

inline std::string quoted(const std::filesystem::path& p) {
  return "'" + p.string() + "'";
}

/// Runs `ffmpeg -y -loglevel error <args> <out>`; the caller ASSERTs the result.
inline ::testing::AssertionResult ffmpeg(const std::string& args,
                                         const std::filesystem::path& out) {
  const std::string cmd = "ffmpeg -nostdin -y -loglevel error " + args + " " + quoted(out);
  if (run_command(cmd) != 0 || !std::filesystem::exists(out)) {
    return ::testing::AssertionFailure() << "failed: " << cmd;
  }
  return ::testing::AssertionSuccess();
}

/// A 2 s, 25 fps testsrc clip (50 frames). The default H.264 in MP4 has B-frames and a key
/// frame every 10 frames, so presentation order differs from decode order and seeks matter.
inline std::filesystem::path make_testsrc(const std::filesystem::path& dir,
                                          const std::string& name = "testsrc.mp4",
                                          const std::string& codec_args =
                                              "-c:v libx264 -preset ultrafast -bf 2 -g 10 "
                                              "-pix_fmt yuv420p") {
  auto out = dir / name;
  EXPECT_TRUE(ffmpeg("-f lavfi -i testsrc=size=320x240:rate=25 -t 2 " + codec_args, out));
  return out;
}

/// A variable-frame-rate clip: 1 s at 10 fps then 1 s at 30 fps (40 frames) in one H.264 stream
/// that keeps the real PTS, 4:2:0 like real inputs.
inline ::testing::AssertionResult make_vfr_clip(const std::filesystem::path& out,
                                                const std::string& size = "320x240") {
  return ffmpeg("-f lavfi -i testsrc=size=" + size +
                    ":rate=10:duration=1 "
                    "-f lavfi -i testsrc=size=" +
                    size +
                    ":rate=30:duration=1 "
                    "-filter_complex '[0:v][1:v]concat=n=2:v=1[v]' -map '[v]' -vsync vfr "
                    "-c:v libx264 -preset ultrafast -bf 2 -g 8 -pix_fmt yuv420p",
                out);
}

/// ffprobe's `key=value` lines for the first video stream's `entries` (comma-separated).
inline std::string ffprobe_stream(const std::filesystem::path& video, const std::string& entries) {
  const auto out = video.parent_path() / "ffprobe.txt";
  const std::string cmd = "ffprobe -v error -select_streams v:0 -show_entries stream=" + entries +
                          " -of default=noprint_wrappers=1 " + quoted(video) + " > " + quoted(out);
  if (run_command(cmd) != 0)
    return "ffprobe failed";
  std::ifstream in(out);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// The first `bytes` bytes of `src` (a truncated copy).
inline std::filesystem::path truncated_copy(const std::filesystem::path& src,
                                            const std::filesystem::path& out,
                                            std::uintmax_t bytes) {
  std::ifstream in(src, std::ios::binary);
  std::vector<char> data(bytes);
  in.read(data.data(), static_cast<std::streamsize>(bytes));
  std::ofstream(out, std::ios::binary).write(data.data(), in.gcount());
  return out;
}

inline std::vector<video_frame> read_all(video_reader& reader) {
  std::vector<video_frame> frames;
  while (auto f = reader.read())
    frames.push_back(std::move(*f));
  return frames;
}

inline ::testing::AssertionResult same_pixels(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) {
    return ::testing::AssertionFailure() << "size/type differ: " << a.size() << " vs " << b.size();
  }
  const double diff = cv::norm(a, b, cv::NORM_INF);
  if (diff != 0)
    return ::testing::AssertionFailure() << "max pixel difference " << diff;
  return ::testing::AssertionSuccess();
}

/// Seeks to each of `indices` and checks the next few frames against a sequential read.
inline void expect_seeks_match(video_reader& reader, const std::vector<video_frame>& sequential,
                               const std::vector<int64_t>& indices, int frames_per_seek = 3) {
  for (int64_t k : indices) {
    reader.seek(k);
    for (int64_t i = k; i < k + frames_per_seek && i < static_cast<int64_t>(sequential.size());
         ++i) {
      auto f = reader.read();
      ASSERT_TRUE(f.has_value()) << "seek " << k << ", frame " << i;
      EXPECT_EQ(f->index, i) << "seek " << k;
      EXPECT_EQ(f->timestamp_s, sequential[static_cast<size_t>(i)].timestamp_s);
      EXPECT_TRUE(same_pixels(f->bgr, sequential[static_cast<size_t>(i)].bgr))
          << "seek " << k << ", frame " << i;
      EXPECT_EQ(f->damage, sequential[static_cast<size_t>(i)].damage)
          << "seek " << k << ", frame " << i;
    }
  }
}

/// Tags a copy of `src` with `-metadata:s:v:0 rotate=<tag>` and checks that (1) ffmpeg's own
/// autorotated output has the orientation our probe reports (so we agree with players, whatever
/// convention this ffmpeg version writes) and (2) every decoded frame is exactly cv::rotate of
/// the untagged copy's frame.
inline void expect_rotation_like_ffmpeg(const std::filesystem::path& src,
                                        const std::filesystem::path& dir, int tag) {
  const auto plain = dir / "plain.mp4";
  const auto rotated = dir / ("rotate" + std::to_string(tag) + ".mp4");
  ASSERT_TRUE(ffmpeg("-i " + quoted(src) + " -t 1 -c copy -an", plain));
  ASSERT_TRUE(ffmpeg(
      "-i " + quoted(src) + " -t 1 -c copy -an -metadata:s:v:0 rotate=" + std::to_string(tag),
      rotated));
  const video_info plain_info = probe_video(plain);
  const video_info info = probe_video(rotated);
  ASSERT_EQ(plain_info.rotation_deg, 0);
  ASSERT_EQ(info.frame_count(), plain_info.frame_count());

  const auto raw = dir / "ffmpeg_first_frame.bgr";
  ASSERT_TRUE(ffmpeg("-i " + quoted(rotated) + " -frames:v 1 -f rawvideo -pix_fmt bgr24", raw));
  cv::Mat ffmpeg_frame(info.height, info.width, CV_8UC3);
  ASSERT_EQ(std::filesystem::file_size(raw), ffmpeg_frame.total() * 3) << "upright size differs";
  std::ifstream(raw, std::ios::binary)
      .read(reinterpret_cast<char*>(ffmpeg_frame.data),
            static_cast<std::streamsize>(ffmpeg_frame.total() * 3));

  video_reader plain_reader(plain_info);
  video_reader reader(info);
  const auto plain_frames = read_all(plain_reader);
  const auto frames = read_all(reader);
  ASSERT_EQ(frames.size(), plain_frames.size());

  const int rotate_code = info.rotation_deg == 90    ? cv::ROTATE_90_CLOCKWISE
                          : info.rotation_deg == 180 ? cv::ROTATE_180
                          : info.rotation_deg == 270 ? cv::ROTATE_90_COUNTERCLOCKWISE
                                                     : -1;
  ASSERT_NE(rotate_code, -1) << "rotate=" << tag << " was not detected";
  // ffmpeg rotates before its own colour conversion, so allow rounding; a wrong turn differs
  // by far more than this.
  EXPECT_LT(cv::norm(frames[0].bgr, ffmpeg_frame, cv::NORM_L1) / ffmpeg_frame.total() / 3, 2.0)
      << "orientation differs from ffmpeg's autorotate";
  for (size_t i = 0; i < frames.size(); ++i) {
    cv::Mat expected;
    cv::rotate(plain_frames[i].bgr, expected, rotate_code);
    ASSERT_TRUE(same_pixels(frames[i].bgr, expected)) << "frame " << i;
    ASSERT_EQ(frames[i].bgr.cols, info.width);
    ASSERT_EQ(frames[i].bgr.rows, info.height);
  }
}

}  // namespace facemirror::test

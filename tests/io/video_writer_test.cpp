// video_writer on synthetic clips made with the ffmpeg CLI: no shared data needed. Outputs are
// checked with our own probe/reader and, for the frame rate, with ffprobe.

#include "facemirror/io/video_writer.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "io_test_util.h"
#include <unistd.h>

namespace facemirror {
namespace {

namespace fs = std::filesystem;
using test::ffmpeg;
using test::ffprobe_stream;
using test::make_vfr_clip;
using test::quoted;
using test::read_all;

std::vector<video_frame> decode(const video_info& info) {
  video_reader reader(info);
  return read_all(reader);
}

// Encodes `frames` (all of them) on `timing`'s clock into `target`.
void write_all(const fs::path& target, const video_info& timing,
               const std::vector<video_frame>& frames, video_writer_options options = {}) {
  video_writer writer(target, timing, frames.at(0).bgr.size(), options);
  for (const auto& f : frames)
    writer.write(f.bgr);
  writer.finish();
  EXPECT_EQ(writer.frames_written(), static_cast<int64_t>(frames.size()));
}

// Timestamps as the CSV prints them.
std::vector<long long> millis(const std::vector<double>& seconds) {
  std::vector<long long> out;
  for (double t : seconds)
    out.push_back(std::llround(t * 1000));
  return out;
}

bool has_partial_files(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().find(".partial-") != std::string::npos)
      return true;
  }
  return false;
}

// `key=value` lines of ffprobe's first video stream.
void expect_close(const std::vector<video_frame>& expected, const std::vector<video_frame>& got) {
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].bgr.size(), expected[i].bgr.size());
    EXPECT_GT(cv::PSNR(got[i].bgr, expected[i].bgr), 35.0) << "frame " << i;
  }
}

TEST(VideoWriter, RoundTripKeepsFramesAndTimestamps) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const video_info source = probe_video(test::make_testsrc(dir));
  const auto frames = decode(source);
  const auto out = dir / "out.mp4";
  write_all(out, source, frames);

  const video_info info = probe_video(out);
  EXPECT_EQ(info.frame_count(), 50);
  EXPECT_EQ(info.width, 320);
  EXPECT_EQ(info.height, 240);
  EXPECT_EQ(info.rotation_deg, 0);
  EXPECT_DOUBLE_EQ(info.average_fps, 25.0);
  EXPECT_TRUE(info.constant_frame_rate);
  EXPECT_EQ(millis(info.timestamps_s), millis(source.timestamps_s));
  expect_close(frames, decode(info));
  EXPECT_FALSE(has_partial_files(dir));
}

TEST(VideoWriter, NtscRateStaysExact) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const auto src = dir / "ntsc.mp4";
  ASSERT_TRUE(
      ffmpeg("-f lavfi -i testsrc=size=320x240:rate=60000/1001 -t 2 -c:v libx264 "
             "-preset ultrafast -pix_fmt yuv420p",
             src));
  const video_info source = probe_video(src);
  ASSERT_EQ(source.frame_count(), 120);
  const auto out = dir / "out.mp4";
  write_all(out, source, decode(source));

  const video_info info = probe_video(out);
  EXPECT_EQ(info.frame_count(), 120);
  EXPECT_DOUBLE_EQ(info.average_fps, 60000.0 / 1001.0);
  EXPECT_TRUE(info.constant_frame_rate);
  EXPECT_EQ(millis(info.timestamps_s), millis(source.timestamps_s));
  const std::string stream = ffprobe_stream(out, "avg_frame_rate,r_frame_rate,nb_frames");
  EXPECT_NE(stream.find("avg_frame_rate=60000/1001"), std::string::npos) << stream;
  EXPECT_NE(stream.find("r_frame_rate=60000/1001"), std::string::npos) << stream;
  EXPECT_NE(stream.find("nb_frames=120"), std::string::npos) << stream;
}

TEST(VideoWriter, VariableFrameRateKeepsTimestamps) {
  FACEMIRROR_REQUIRE_FFMPEG();
  // 1 s at 10 fps, then 1 s at 30 fps, as in the reader's VFR test. 4:2:0 like real inputs:
  // testsrc in 4:4:4 loses its sharp colour edges to our 4:2:0 (PSNR ~28 dB before encoding).
  const auto dir = test::scratch_dir();
  const auto src = dir / "vfr.mp4";
  ASSERT_TRUE(make_vfr_clip(src, "320x240"));
  const video_info source = probe_video(src);
  ASSERT_EQ(source.frame_count(), 40);
  ASSERT_FALSE(source.constant_frame_rate);
  const auto frames = decode(source);
  const auto out = dir / "out.mp4";
  write_all(out, source, frames);

  const video_info info = probe_video(out);
  ASSERT_EQ(info.frame_count(), 40);
  EXPECT_FALSE(info.constant_frame_rate);
  for (size_t i = 0; i < 40; ++i)
    EXPECT_NEAR(info.timestamps_s[i], source.timestamps_s[i], 1e-6) << "frame " << i;
  expect_close(frames, decode(info));
}

TEST(VideoWriter, TimestampsWithoutSourcePtsArePreserved) {
  FACEMIRROR_REQUIRE_FFMPEG();
  // A hand-made frame table (no file behind it, no raw PTS): the writer needs only the timing.
  const auto dir = test::scratch_dir();
  const auto frames = decode(probe_video(test::make_testsrc(dir)));
  video_info timing;
  timing.timestamps_s = {0.0, 0.1, 0.15, 0.3, 0.333, 0.5, 0.9, 1.0};
  const auto out = dir / "out.mp4";
  write_all(out, timing, {frames.begin(), frames.begin() + 8});
  const video_info info = probe_video(out);
  ASSERT_EQ(info.frame_count(), 8);
  EXPECT_EQ(millis(info.timestamps_s), millis(timing.timestamps_s));
  // The table does not say how long the last frame lasts: the writer shows it as long as the
  // one before, so the file lasts 1.1 s (the container's duration: ffprobe's stream duration
  // for this file is not the span, 0.75 s).
  const std::string probe = ffprobe_stream(out, "codec_type:format=duration");
  EXPECT_NE(probe.find("\nduration=1.100000"), std::string::npos) << probe;
  // Nor does it give a rate: the encoder gets the table's own, 7 frames over its 1.0 s span.
  // MP4 stores no rate, but x264 records its options in the stream, among them the shortest
  // key-frame distance it derived, capped at one second's frames.
  EXPECT_NE(test::read_file(out).find(" keyint_min=7 "), std::string::npos);
}

// A lone frame with no rate anywhere: nothing says how long it lasts, so it is shown for one
// frame at 25 fps, and the encoder is told 25 fps.
TEST(VideoWriter, ALoneFrameWithoutARateLastsOneFrameAt25Fps) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const auto frames = decode(probe_video(test::make_testsrc(dir)));
  video_info timing;
  timing.timestamps_s = {0.0};
  const auto out = dir / "out.mp4";
  write_all(out, timing, {frames.front()});
  EXPECT_EQ(probe_video(out).frame_count(), 1);
  const std::string probe = ffprobe_stream(out, "codec_type:format=duration");
  EXPECT_NE(probe.find("\nduration=0.040000"), std::string::npos) << probe;
  EXPECT_NE(test::read_file(out).find(" keyint_min=25 "), std::string::npos);
}

// Encoders and muxers reject a repeated timestamp; a source that repeats one (a duplicated
// PTS) must still be written, the repeat moved on by one clock tick, invisible in the CSV.
TEST(VideoWriter, RepeatedTimestampsAreWrittenOneTickApart) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const auto frames = decode(probe_video(test::make_testsrc(dir)));
  video_info timing;
  timing.timestamps_s = {0.0, 0.1, 0.1, 0.2, 0.3};
  const auto out = dir / "out.mp4";
  write_all(out, timing, {frames.begin(), frames.begin() + 5});
  const video_info info = probe_video(out);
  ASSERT_EQ(info.frame_count(), 5);
  EXPECT_EQ(millis(info.timestamps_s), millis(timing.timestamps_s));
  EXPECT_GT(info.timestamps_s[2], info.timestamps_s[1]);
}

TEST(VideoWriter, OddSizeIsPaddedToEven) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const video_info source = probe_video(test::make_testsrc(dir));
  auto frames = decode(source);
  for (auto& f : frames)
    f.bgr = f.bgr(cv::Rect(0, 0, 161, 121)).clone();
  const auto out = dir / "odd.mp4";
  video_writer writer(out, source, {161, 121});
  EXPECT_EQ(writer.encoded_size(), cv::Size(162, 122));
  for (const auto& f : frames)
    writer.write(f.bgr);
  writer.finish();

  const video_info info = probe_video(out);
  ASSERT_EQ(info.width, 162);
  ASSERT_EQ(info.height, 122);
  auto decoded = decode(info);
  for (auto& f : decoded)
    f.bgr = f.bgr(cv::Rect(0, 0, 161, 121)).clone();
  expect_close(frames, decoded);
}

TEST(VideoWriter, FewerFramesThanTheSourceFailsAndLeavesNoFile) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const video_info source = probe_video(test::make_testsrc(dir));
  const auto frames = decode(source);
  const auto out = dir / "short.mp4";
  video_writer writer(out, source, {320, 240});
  for (int i = 0; i < 10; ++i)
    writer.write(frames[static_cast<size_t>(i)].bgr);
  EXPECT_TRUE(has_partial_files(dir)) << "frames go to a partial file, not the target";
  try {
    writer.finish();
    FAIL() << "finish() accepted 10 of 50 frames";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_code::invalid_argument);
    EXPECT_NE(std::string(e.what()).find(out.string()), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(has_partial_files(dir));
  EXPECT_THROW(writer.write(frames[10].bgr), error) << "a failed writer stays failed";
}

TEST(VideoWriter, DestroyWithoutFinishKeepsTheOldTarget) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const video_info source = probe_video(test::make_testsrc(dir));
  const auto frames = decode(source);
  const auto out = dir / "existing.mp4";
  std::ofstream(out) << "old";
  {
    video_writer writer(out, source, {320, 240});
    for (const auto& f : frames)
      writer.write(f.bgr);  // every frame, but no finish()
  }
  EXPECT_FALSE(has_partial_files(dir));
  std::stringstream text;
  text << std::ifstream(out).rdbuf();
  EXPECT_EQ(text.str(), "old");
}

TEST(VideoWriter, BadFramesAreRejected) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const video_info source = probe_video(test::make_testsrc(dir));
  const auto frames = decode(source);
  {
    video_writer writer(dir / "size.mp4", source, {320, 240});
    EXPECT_THROW(writer.write(cv::Mat(240, 321, CV_8UC3)), error);
    EXPECT_THROW(writer.write(cv::Mat(240, 320, CV_8UC1)), error);
  }
  {
    video_writer writer(dir / "extra.mp4", source, {320, 240});
    for (const auto& f : frames)
      writer.write(f.bgr);
    try {
      writer.write(frames[0].bgr);
      FAIL() << "a 51st frame was accepted";
    } catch (const error& e) {
      EXPECT_EQ(e.code(), error_code::invalid_argument);
    }
  }
  EXPECT_THROW(video_writer(dir / "x.mp4", video_info{}, {320, 240}), error);
  video_writer_options bad_preset;
  bad_preset.preset = "warp-speed";
  EXPECT_THROW(video_writer(dir / "x.mp4", source, {320, 240}, bad_preset), error);
  EXPECT_FALSE(has_partial_files(dir));
}

TEST(VideoWriter, UnwritableFolderNamesTheFile) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const video_info source = probe_video(test::make_testsrc(dir));
  std::vector<fs::path> targets = {dir / "missing" / "out.mp4"};
  if (::geteuid() != 0) {  // root writes into read-only folders anyway
    fs::create_directory(dir / "readonly");
    fs::permissions(dir / "readonly", fs::perms::owner_read | fs::perms::owner_exec);
    targets.push_back(dir / "readonly" / "out.mp4");
  }
  for (const auto& target : targets) {
    try {
      video_writer writer(target, source, {320, 240});
      FAIL() << "opened " << target;
    } catch (const error& e) {
      EXPECT_EQ(e.code(), error_code::io);
      const std::string what = e.what();
      EXPECT_NE(what.find(target.string()), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
  if (fs::exists(dir / "readonly"))
    fs::permissions(dir / "readonly", fs::perms::owner_all);
}

}  // namespace
}  // namespace facemirror

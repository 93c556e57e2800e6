// video_reader on synthetic clips made with the ffmpeg CLI: no shared data needed.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>

#include <gtest/gtest.h>

#include "io_test_util.h"

namespace facemirror {
namespace {

using test::ffmpeg;
using test::ffprobe_stream;
using test::make_vfr_clip;
using test::read_all;
using test::same_pixels;

// The testsrc clip's frame table and every frame, read in order by a reader of its own.
struct read_clip {
  video_info info;
  std::vector<video_frame> frames;
};
read_clip read_testsrc() {
  read_clip clip{probe_video(test::make_testsrc(test::scratch_dir())), {}};
  video_reader reader(clip.info);
  clip.frames = read_all(reader);
  return clip;
}

TEST(VideoReaderSynthetic, ProbeBuildsFrameTable) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto video = test::make_testsrc(test::scratch_dir());
  const video_info info = probe_video(video);
  EXPECT_EQ(info.frame_count(), 50);
  EXPECT_EQ(info.width, 320);
  EXPECT_EQ(info.height, 240);
  EXPECT_EQ(info.rotation_deg, 0);
  EXPECT_DOUBLE_EQ(info.average_fps, 25.0);
  EXPECT_TRUE(info.constant_frame_rate);
  for (int64_t i = 0; i < info.frame_count(); ++i) {
    EXPECT_NEAR(info.timestamps_s[static_cast<size_t>(i)], i * 0.04, 1e-9);
  }
  ASSERT_EQ(info.pts.size(), 50u);
  EXPECT_TRUE(std::is_sorted(info.pts.begin(), info.pts.end()));
  ASSERT_GE(info.keyframe_indices.size(), 5u);  // -g 10
  EXPECT_EQ(info.keyframe_indices.front(), 0);
}

// The shards of a batch are balanced on the frame count a header announces. Matroska has no
// count in its header: 2 s at 25 frames/s must still weigh 50 frames, as the MP4's count does.
TEST(VideoReaderSynthetic, HeaderFrameCountWithAndWithoutACountInTheHeader) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  EXPECT_EQ(header_frame_count(test::make_testsrc(dir)), 50);
  EXPECT_EQ(header_frame_count(test::make_testsrc(dir, "testsrc.mkv")), 50);
}

TEST(VideoReaderSynthetic, SequentialReadYieldsEveryFrameLikeFfmpeg) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const auto video = test::make_testsrc(dir);
  video_reader reader(probe_video(video));
  const auto frames = read_all(reader);
  ASSERT_EQ(frames.size(), 50u);
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].index, static_cast<int64_t>(i));
    EXPECT_EQ(frames[i].timestamp_s, reader.info().timestamps_s[i]);
    EXPECT_EQ(frames[i].bgr.type(), CV_8UC3);
    EXPECT_EQ(frames[i].bgr.size(), cv::Size(320, 240));
    if (i > 0) {
      EXPECT_NE(frames[i].bgr.data, frames[i - 1].bgr.data) << "frames share pixels";
    }
  }
  EXPECT_FALSE(reader.read().has_value());
  EXPECT_FALSE(reader.read().has_value()) << "the end is sticky";

  // The same pixels ffmpeg's CLI produces (it also converts with bicubic swscale).
  const auto raw = dir / "all.bgr";
  ASSERT_TRUE(ffmpeg("-i " + test::quoted(video) + " -f rawvideo -pix_fmt bgr24", raw));
  std::ifstream in(raw, std::ios::binary);
  for (const auto& f : frames) {
    cv::Mat expected(240, 320, CV_8UC3);
    in.read(reinterpret_cast<char*>(expected.data), 240 * 320 * 3);
    ASSERT_TRUE(in.good());
    EXPECT_LE(cv::norm(f.bgr, expected, cv::NORM_INF), 2.0) << "frame " << f.index;
  }
}

TEST(VideoReaderSynthetic, SeekGivesSamePixelsAsSequentialRead) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto [info, sequential] = read_testsrc();
  ASSERT_EQ(sequential.size(), 50u);

  video_reader reader(info);
  // Key frames, frames just before and after them, backwards jumps, the last frame.
  test::expect_seeks_match(reader, sequential, {0, 9, 10, 11, 25, 37, 49, 30, 5, 1, 20, 21});
  reader.seek(info.frame_count());
  EXPECT_FALSE(reader.read().has_value());
  reader.seek(3);
  ASSERT_EQ(reader.read()->index, 3);
  EXPECT_THROW(reader.seek(-1), error);
  EXPECT_THROW(reader.seek(info.frame_count() + 1), error);
}

TEST(VideoReaderSynthetic, AviWithMpeg4SeeksAndReads) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto video =
      test::make_testsrc(test::scratch_dir(), "testsrc.avi", "-c:v mpeg4 -g 12 -q:v 4");
  const video_info info = probe_video(video);
  ASSERT_EQ(info.frame_count(), 50);
  video_reader sequential_reader(info);
  const auto sequential = read_all(sequential_reader);
  ASSERT_EQ(sequential.size(), 50u);
  video_reader reader(info);
  test::expect_seeks_match(reader, sequential, {13, 12, 47, 2, 24});
}

TEST(VideoReaderSynthetic, DecoderThreadsDoNotChangePixels) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto video = test::make_testsrc(test::scratch_dir());
  const video_info info = probe_video(video);
  video_reader one(info);
  video_reader many(info, video_reader_options{4});
  const auto a = read_all(one);
  const auto b = read_all(many);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(same_pixels(a[i].bgr, b[i].bgr)) << i;
  test::expect_seeks_match(many, a, {33, 7});
}

// A caller that lets go of each frame before the next read gets the same pixels as one that
// keeps them all; the reader then reuses the released frame's buffer (at 4K a fresh frame was
// a 35 MB copy and page faults per frame), never one still held (the test above).
TEST(VideoReaderSynthetic, ReleasedFramesAreReusedWithoutChangingPixels) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto [info, kept] = read_testsrc();
  ASSERT_EQ(kept.size(), 50u);
  video_reader reader(info);
  const uchar* previous = nullptr;
  int reused = 0;
  for (const auto& expected : kept) {
    auto frame = reader.read();
    ASSERT_TRUE(frame);
    ASSERT_TRUE(frame->bgr.isContinuous());
    EXPECT_TRUE(same_pixels(frame->bgr, expected.bgr)) << frame->index;
    reused += frame->bgr.data == previous;
    previous = frame->bgr.data;
  }
  EXPECT_EQ(reused, 49);
}

TEST(VideoReaderSynthetic, MovedReaderKeepsPosition) {
  FACEMIRROR_REQUIRE_FFMPEG();
  video_reader reader(probe_video(test::make_testsrc(test::scratch_dir())));
  reader.seek(12);
  video_reader moved(std::move(reader));
  EXPECT_EQ(moved.read()->index, 12);
}

TEST(VideoReaderSynthetic, EditListLeadingFramesAreNotFrames) {
  FACEMIRROR_REQUIRE_FFMPEG();
  // Stream-copying from 0.5 s keeps the packets from the previous key frame but marks them
  // discarded through an edit list: 37 frames are shown, 40 packets are stored.
  const auto dir = test::scratch_dir();
  const auto trimmed = dir / "trimmed.mp4";
  ASSERT_TRUE(ffmpeg("-ss 0.5 -i " + test::quoted(test::make_testsrc(dir)) + " -c copy", trimmed));
  const video_info info = probe_video(trimmed);
  EXPECT_EQ(info.frame_count(), 37);
  video_reader sequential_reader(info);
  const auto frames = read_all(sequential_reader);
  ASSERT_EQ(frames.size(), 37u);
  video_reader reader(info);
  test::expect_seeks_match(reader, frames, {20, 3, 36, 0});
}

class VideoReaderRotation : public ::testing::TestWithParam<int> {};

TEST_P(VideoReaderRotation, FramesComeOutUpright) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  test::expect_rotation_like_ffmpeg(test::make_testsrc(dir), dir, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Tags, VideoReaderRotation, ::testing::Values(90, 180, 270));

// `mp4` (one video track) with its track header's display matrix set to {a b; c d} (16.16; the
// shift that keeps the picture in view does not matter to a reader).
void set_display_matrix(const std::filesystem::path& mp4, int a, int b, int c, int d) {
  std::string bytes;
  {
    std::ifstream in(mp4, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const size_t type = bytes.find("tkhd");
  ASSERT_NE(type, std::string::npos);
  const size_t box = type - 4;
  const size_t matrix = box + (bytes[box + 8] == 1 ? 60 : 48);  // after version 1's 64-bit times
  const int32_t values[9] = {a, b, 0, c, d, 0, 0, 0, 1 << 30};
  for (int i = 0; i < 9; ++i) {
    for (int k = 0; k < 4; ++k)
      bytes[matrix + 4 * i + k] =
          static_cast<char>((static_cast<uint32_t>(values[i]) >> (24 - 8 * k)) & 0xff);
  }
  std::ofstream(mp4, std::ios::binary | std::ios::trunc) << bytes;
}

// A matrix that mirrors the picture (a "selfie" export, an editor's flip) is shown mirrored by a
// player: read so, not as the half turn av_display_rotation_get() alone makes of it (which had
// every face upside down).
TEST(VideoReaderSynthetic, AMirroringDisplayMatrixIsAFlipNotAHalfTurn) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const auto plain = dir / "plain.mp4";
  ASSERT_TRUE(ffmpeg("-i " + test::quoted(test::make_testsrc(dir)) + " -t 1 -c copy -an", plain));
  const video_info plain_info = probe_video(plain);
  video_reader plain_reader(plain_info);
  const auto expected = read_all(plain_reader);
  constexpr int one = 1 << 16;
  struct shown {
    const char* name;
    int a, b, c, d;
    int rotation;
    bool flipped;
    std::function<cv::Mat(const cv::Mat&)> transform;
  };
  const auto flip = [](int code) {
    return [code](const cv::Mat& m) {
      cv::Mat out;
      cv::flip(m, out, code);
      return out;
    };
  };
  const auto turn = [](int code, bool mirror) {
    return [code, mirror](const cv::Mat& m) {
      cv::Mat out;
      cv::rotate(m, out, code);
      if (mirror)
        cv::flip(out, out, 1);
      return out;
    };
  };
  const shown cases[] = {
      {"left-right mirror", -one, 0, 0, one, 0, true, flip(1)},
      {"up-down mirror", one, 0, 0, -one, 180, true, flip(0)},
      {"half turn", -one, 0, 0, -one, 180, false, flip(-1)},
      {"quarter turn clockwise", 0, one, -one, 0, 90, false, turn(cv::ROTATE_90_CLOCKWISE, false)},
      {"transpose", 0, one, one, 0, 90, true, turn(cv::ROTATE_90_CLOCKWISE, true)},
  };
  for (const shown& c : cases) {
    const auto file = dir / (std::string(c.name) + ".mp4");
    std::filesystem::copy_file(plain, file);
    set_display_matrix(file, c.a, c.b, c.c, c.d);
    const video_info info = probe_video(file);
    EXPECT_EQ(info.rotation_deg, c.rotation) << c.name;
    EXPECT_EQ(info.flipped, c.flipped) << c.name;
    video_reader reader(info);
    const auto frames = read_all(reader);
    ASSERT_EQ(frames.size(), expected.size()) << c.name;
    EXPECT_TRUE(same_pixels(frames[0].bgr, c.transform(expected[0].bgr))) << c.name;
    EXPECT_EQ(frames[0].bgr.cols, info.width) << c.name;
  }
  // The transpose is the clockwise quarter turn mirrored: cv::transpose says the same.
  cv::Mat transposed;
  cv::transpose(expected[0].bgr, transposed);
  EXPECT_TRUE(same_pixels(turn(cv::ROTATE_90_CLOCKWISE, true)(expected[0].bgr), transposed));
}

TEST(VideoReaderSynthetic, VariableFrameRateTimestampsFollowPts) {
  FACEMIRROR_REQUIRE_FFMPEG();
  // 1 s at 10 fps, then 1 s at 30 fps, in one H.264 stream that keeps the real PTS.
  const auto video = test::scratch_dir() / "vfr.mp4";
  ASSERT_TRUE(make_vfr_clip(video, "160x120"));
  const video_info info = probe_video(video);
  ASSERT_EQ(info.frame_count(), 40);
  EXPECT_FALSE(info.constant_frame_rate);
  for (int i = 0; i < 40; ++i) {
    const double expected = i < 10 ? i / 10.0 : 1.0 + (i - 10) / 30.0;
    EXPECT_NEAR(info.timestamps_s[static_cast<size_t>(i)], expected, 1e-3) << "frame " << i;
  }
  video_reader sequential_reader(info);
  const auto frames = read_all(sequential_reader);
  ASSERT_EQ(frames.size(), 40u);
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].timestamp_s, info.timestamps_s[i]);
  }
  video_reader reader(info);
  test::expect_seeks_match(reader, frames, {25, 8, 16, 39});
}

}  // namespace
}  // namespace facemirror

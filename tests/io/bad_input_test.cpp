// Bad inputs: each fails with one facemirror::error line naming the file and the reason, and
// libav itself prints nothing.

#include <cstdint>
#include <fstream>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "io_test_util.h"
#include "support/damaged_video.h"

namespace facemirror {
namespace {

namespace fs = std::filesystem;

// Runs `f`, expects error(code) with a one-line message naming `file` and containing `reason`,
// and checks that nothing reached stderr (libav's own logging is silenced).
void expect_error(const std::function<void()>& f, error_code code, const fs::path& file,
                  const std::string& reason) {
  ::testing::internal::CaptureStderr();
  try {
    f();
    ::testing::internal::GetCapturedStderr();
    ADD_FAILURE() << "no error for " << file;
  } catch (const error& e) {
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
    EXPECT_EQ(e.code(), code) << e.what();
    const std::string message = e.what();
    EXPECT_NE(message.find(file.string()), std::string::npos) << message;
    EXPECT_NE(message.find(reason), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// A truncated file must fail somewhere (probe or decode), never yield fewer frames quietly.
void expect_truncation_detected(const fs::path& file) {
  expect_error(
      [&] {
        video_reader reader(probe_video(file));
        while (reader.read()) {
        }
      },
      error_code::codec, file, "");
}

TEST(VideoReaderBadInput, MissingFile) {
  const auto file = test::scratch_dir() / "missing.mp4";
  expect_error([&] { (void)probe_video(file); }, error_code::io, file, "no such file");
}

// A link that loops: the reason its status cannot be read, by name (it once escaped as a raw
// std::filesystem error, "filesystem error: status: ..." without the usual form).
TEST(VideoReaderBadInput, LinkThatLoops) {
  const auto dir = test::scratch_dir();
  fs::create_symlink("loop.mp4", dir / "loop.mp4");
  expect_error([&] { (void)probe_video(dir / "loop.mp4"); }, error_code::io, dir / "loop.mp4",
               "Too many levels of symbolic links");
}

TEST(VideoReaderBadInput, EmptyFile) {
  const auto file = test::scratch_dir() / "empty.mp4";
  std::ofstream{file};
  expect_error([&] { (void)probe_video(file); }, error_code::io, file, "empty");
}

// A folder is a frame folder (OpenFace's -fdir); one without images is no video.
TEST(VideoReaderBadInput, DirectoryWithoutImages) {
  const auto dir = test::scratch_dir();
  expect_error([&] { (void)probe_video(dir); }, error_code::io, dir, "without image files");
}

TEST(VideoReaderBadInput, TextFileNamedMp4) {
  const auto file = test::scratch_dir() / "notes.mp4";
  std::ofstream(file) << "These are meeting notes, not a video.\nSecond line.\n";
  expect_error([&] { (void)probe_video(file); }, error_code::codec, file, "not a video");
}

TEST(VideoReaderBadInput, AudioOnlyFile) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto file = test::scratch_dir() / "audio.mp4";
  ASSERT_TRUE(test::ffmpeg("-f lavfi -i sine=duration=1 -c:a aac", file));
  expect_error([&] { (void)probe_video(file); }, error_code::codec, file, "no video stream");
}

TEST(VideoReaderBadInput, TruncatedMp4WithIndexAtEnd) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const auto full = test::make_testsrc(dir);
  const auto cut = test::truncated_copy(full, dir / "cut.mp4", fs::file_size(full) / 2);
  expect_error([&] { (void)probe_video(cut); }, error_code::codec, cut, "truncated");
}

TEST(VideoReaderBadInput, TruncatedMp4WithIndexAtStart) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const auto full = test::make_testsrc(dir, "faststart.mp4",
                                       "-c:v libx264 -preset ultrafast -g 10 -movflags +faststart");
  expect_truncation_detected(
      test::truncated_copy(full, dir / "cut.mp4", fs::file_size(full) * 6 / 10));
}

// Capture software leaves index entries for dropped frames, so a frame (1%, at least one) fewer
// than the header lists is a complete file; two fewer of 50 is a truncated one.
TEST(VideoReaderBadInput, OneFrameShortOfTheHeaderIsCompleteTwoAreTruncated) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const auto full = test::make_testsrc(dir, "full.avi", "-c:v mpeg4 -g 12");
  ASSERT_EQ(test::run_command("ffprobe -v error -select_streams v:0 -show_entries packet=pos "
                              "-of csv=p=0 " +
                              test::quoted(full) + " > " + test::quoted(dir / "pos.txt")),
            0);
  std::vector<std::uintmax_t> pos;
  std::ifstream in(dir / "pos.txt");
  for (std::uintmax_t p; in >> p;)
    pos.push_back(p);
  ASSERT_EQ(pos.size(), 50u);
  // An AVI chunk is an 8-byte header and then the packet: cutting there drops the frame whole
  // (and the index after it), so the header's count of 50 stays.
  const auto one_short = test::truncated_copy(full, dir / "one_short.avi", pos[49] - 8);
  EXPECT_EQ(probe_video(one_short).frame_count(), 49);
  const auto two_short = test::truncated_copy(full, dir / "two_short.avi", pos[48] - 8);
  expect_error([&] { (void)probe_video(two_short); }, error_code::codec, two_short, "truncated");
}

// Matroska and WebM headers hold no frame count, only the duration: a copy cut short still
// declares it, and its frames end well before (it was written "ok" with fewer rows).
TEST(VideoReaderBadInput, TruncatedMatroskaAndWebm) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  for (const auto& [name, codec] :
       {std::pair<std::string, std::string>{"full.mkv", "-c:v libx264 -preset ultrafast -g 10"},
        {"full.webm", "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -g 10"}}) {
    const auto full = test::make_testsrc(dir, name, codec + " -pix_fmt yuv420p");
    EXPECT_EQ(probe_video(full).frame_count(), 50);
    const auto cut =
        test::truncated_copy(full, dir / ("cut_" + name), fs::file_size(full) * 6 / 10);
    expect_error([&] { (void)probe_video(cut); }, error_code::codec, cut,
                 "truncated: header declares 2.00 s");
  }
}

// The declared duration is the longest stream's, counted from time 0: audio running on past the
// video and timestamps that start late are a complete file.
TEST(VideoReaderBadInput, MatroskaWithLongerAudioAndLateStartIsComplete) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto file = test::scratch_dir() / "late.mkv";
  ASSERT_TRUE(
      test::ffmpeg("-f lavfi -i testsrc=size=160x120:rate=25:duration=2 -f lavfi -i "
                   "sine=duration=3.5 -c:v libx264 -preset ultrafast -pix_fmt yuv420p "
                   "-c:a libvorbis -output_ts_offset 1.5",
                   file));
  EXPECT_EQ(probe_video(file).frame_count(), 50);
}

TEST(VideoReaderBadInput, TruncatedAvi) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const auto full = test::make_testsrc(dir, "full.avi", "-c:v mpeg4 -g 12");
  expect_truncation_detected(
      test::truncated_copy(full, dir / "cut.avi", fs::file_size(full) * 6 / 10));
}

// A frame the container lists but the decoder skips keeps its row: a black frame marked
// missing, never a video one row short with every later row a frame off.
TEST(VideoReaderBadInput, AFrameTheDecoderSkipsIsABlackFrameMarkedMissing) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const auto file = test::make_testsrc(dir, "intra.mp4", "-c:v mpeg4 -g 1 -bf 0 -q:v 3");
  test::make_not_coded(file, 9);
  video_reader reader(probe_video(file));
  const std::vector<video_frame> frames = test::read_all(reader);
  ASSERT_EQ(frames.size(), 50u);
  for (const video_frame& f : frames) {
    EXPECT_EQ(f.damage, f.index == 9 ? frame_damage::missing : frame_damage::none) << f.index;
    EXPECT_EQ(f.bgr.size(), cv::Size(320, 240));
  }
  EXPECT_EQ(cv::countNonZero(frames[9].bgr.reshape(1)), 0);
  EXPECT_GT(cv::countNonZero(frames[10].bgr.reshape(1)), 0);
  test::expect_seeks_match(reader, frames, {8, 9, 10, 0});
}

// Damaged data inside a file does not cost the video, as it does not stop ffmpeg or OpenFace's
// reader: every frame comes out, the damaged ones marked, the same after any seek.
TEST(VideoReaderBadInput, DamagedDataMidFileIsDecodedOnAndMarked) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const auto full = test::make_testsrc(dir);
  const auto file = test::damaged_copy(full, dir / "damaged.mp4", 23);
  video_reader reader(probe_video(file));
  const std::vector<video_frame> frames = test::read_all(reader);
  ASSERT_EQ(frames.size(), 50u);
  size_t damaged = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].index, static_cast<int64_t>(i));
    damaged += frames[i].damage != frame_damage::none ? 1 : 0;
  }
  // Key frames every 10: the damage reaches at most the rest of its group.
  EXPECT_GE(damaged, 1u);
  EXPECT_LE(damaged, 10u);
  for (size_t i = 0; i < 10; ++i)
    EXPECT_EQ(frames[i].damage, frame_damage::none) << i;
  std::vector<int64_t> seeks;
  for (const video_frame& f : frames) {
    if (f.damage != frame_damage::none)
      seeks.push_back(f.index);
  }
  seeks.push_back(15);
  test::expect_seeks_match(reader, frames, seeks);
}

// A two-thread reader of damaged `file` gives one thread's frames, at least `whole_frames` of
// them, then throws damaged_for_threads.
void expect_threads_stop_at_damage(const fs::path& file, int reorder_depth, size_t whole_frames) {
  const video_info info = probe_video(file);
  EXPECT_EQ(info.reorder_depth, reorder_depth);
  video_reader one(info);
  const std::vector<video_frame> expected = test::read_all(one);
  video_reader threads(info, video_reader_options{2});
  size_t read = 0;
  EXPECT_THROW(
      {
        while (auto f = threads.read()) {
          ASSERT_LT(read, expected.size());
          EXPECT_EQ(f->damage, frame_damage::none) << f->index;
          EXPECT_TRUE(test::same_pixels(f->bgr, expected[read++].bgr)) << f->index;
        }
      },
      damaged_for_threads);
  EXPECT_GE(read, whole_frames) << file;
}

// libavcodec's threads race as they patch damaged data over: a threaded reader stops there
// (damaged_for_threads) before any frame that depends on it, so that the caller decodes it
// again on one thread. Up to there its frames are one thread's, also where frames are stored
// out of order (B-frames) and a frame may depend on one shown after it.
TEST(VideoReaderBadInput, DamagedDataStopsAThreadedReaderBeforeItCounts) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const auto full = test::make_testsrc(
      dir, "p.mp4", "-c:v libx264 -preset ultrafast -bf 0 -g 10 -pix_fmt yuv420p");
  const auto file = test::damaged_copy(full, dir / "damaged_p.mp4", 23);
  expect_threads_stop_at_damage(file, 0, 20);  // the first two groups of 10 are whole
  const auto with_b_frames = test::damaged_copy(test::make_testsrc(dir), dir / "damaged_b.mp4", 23);
  expect_threads_stop_at_damage(with_b_frames, 2, 10);  // -bf 2
  // Undamaged, a threaded reader of either stream gives one thread's frames to the end.
  for (const fs::path& whole : {full, dir / "testsrc.mp4"}) {
    video_reader one_thread(probe_video(whole));
    video_reader two_threads(probe_video(whole), video_reader_options{2});
    const auto a = test::read_all(one_thread);
    const auto b = test::read_all(two_threads);
    ASSERT_EQ(a.size(), 50u);
    ASSERT_EQ(b.size(), 50u);
    for (size_t i = 0; i < a.size(); ++i)
      EXPECT_TRUE(test::same_pixels(a[i].bgr, b[i].bgr)) << whole << " " << i;
    test::expect_seeks_match(two_threads, a, {5, 23, 0, 40, 12});
  }
}

// Damage in the last packet is where a cut file ends: that stays an error.
TEST(VideoReaderBadInput, DamagedLastFrameIsTruncation) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const auto full = test::make_testsrc(dir, "intra.mp4", "-c:v mpeg4 -g 1 -bf 0 -q:v 3");
  const auto file =
      test::damaged_copy(full, dir / "damaged_end.mp4", test::packet_spans(full).size() - 1);
  expect_truncation_detected(file);
}

TEST(VideoReaderBadInput, ReaderNeedsProbedInfo) {
  EXPECT_THROW(video_reader(video_info{}), error);
}

}  // namespace
}  // namespace facemirror

// Bad inputs: each fails with one facemirror::error line naming the file and the reason, and
// libav itself prints nothing.

#include <cstdint>
#include <fstream>
#include <functional>
#include <vector>

#include <gtest/gtest.h>

#include "io_test_util.h"

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

TEST(VideoReaderBadInput, TruncatedAvi) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const auto full = test::make_testsrc(dir, "full.avi", "-c:v mpeg4 -g 12");
  expect_truncation_detected(
      test::truncated_copy(full, dir / "cut.avi", fs::file_size(full) * 6 / 10));
}

TEST(VideoReaderBadInput, ReaderNeedsProbedInfo) {
  EXPECT_THROW(video_reader(video_info{}), error);
}

}  // namespace
}  // namespace facemirror

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

// Each packet's position and size in the file, from ffprobe.
std::vector<std::pair<std::uintmax_t, std::uintmax_t>> packet_spans(const fs::path& file) {
  const fs::path listing = file.parent_path() / "packets.txt";
  EXPECT_EQ(test::run_command("ffprobe -v error -select_streams v:0 -show_entries "
                              "packet=pos,size -of default=noprint_wrappers=1 " +
                              test::quoted(file) + " > " + test::quoted(listing)),
            0);
  std::vector<std::pair<std::uintmax_t, std::uintmax_t>> spans;
  std::ifstream in(listing);
  std::uintmax_t pos = 0, size = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("size=", 0) == 0)
      size = std::stoull(line.substr(5));
    if (line.rfind("pos=", 0) == 0) {
      pos = std::stoull(line.substr(4));
      spans.emplace_back(pos, size);
    }
  }
  return spans;
}

// Packet `index` of an MPEG-4 Part 2 stream (every frame a key frame, a 25 Hz VOP clock) made a
// "not coded" VOP: its header (ISO/IEC 14496-2, 6.2.5) up to vop_coded, which becomes 0, and
// nothing after. The container still lists the frame; libav's decoder skips it without an
// error, as it does the N-VOPs some capture software writes for dropped frames.
void make_not_coded(const fs::path& file, size_t index) {
  const auto spans = packet_spans(file);
  ASSERT_GT(spans.size(), index);
  const auto [pos, size] = spans[index];
  std::string bytes = test::read_file(file);
  std::string packet = bytes.substr(pos, size);
  const size_t vop = packet.find(std::string("\0\0\1\xB6", 4));
  ASSERT_NE(vop, std::string::npos);
  std::string bits;
  for (size_t i = vop + 4; i < vop + 12; ++i) {
    for (int b = 7; b >= 0; --b)
      bits += ((static_cast<unsigned char>(packet[i]) >> b) & 1) ? '1' : '0';
  }
  size_t at = 2;           // vop_coding_type
  while (bits[at] == '1')  // modulo_time_base: a 1 per second elapsed, then a 0
    ++at;
  ++at;
  ASSERT_EQ(bits[at], '1') << "marker";
  at += 1 + 5;  // the marker, vop_time_increment: 5 bits count a 25 Hz clock
  ASSERT_EQ(bits[at], '1') << "marker";
  std::string header = bits.substr(0, at + 1) + "0";                    // vop_coded = 0
  header += "0" + std::string((8 - (header.size() + 1) % 8) % 8, '1');  // stuffing to a byte
  std::string replaced = packet.substr(0, vop + 4);
  for (size_t i = 0; i < header.size(); i += 8)
    replaced += static_cast<char>(std::stoi(header.substr(i, 8), nullptr, 2));
  replaced.resize(size, '\0');
  bytes.replace(pos, size, replaced);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

// A frame the container lists but the decoder skips is an error naming it (as the CSV numbers
// it), never a video one row short with every later row a frame off.
TEST(VideoReaderBadInput, AFrameTheDecoderSkipsIsAnErrorNamingIt) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const auto file = test::make_testsrc(dir, "intra.mp4", "-c:v mpeg4 -g 1 -bf 0 -q:v 3");
  make_not_coded(file, 9);
  ASSERT_EQ(probe_video(file).frame_count(), 50);
  expect_error(
      [&] {
        video_reader reader(probe_video(file));
        while (reader.read()) {
        }
      },
      error_code::codec, file, "frame 10 could not be decoded");
}

TEST(VideoReaderBadInput, ReaderNeedsProbedInfo) {
  EXPECT_THROW(video_reader(video_info{}), error);
}

}  // namespace
}  // namespace facemirror

// segment_encoder + chunk_muxer on synthetic clips made with the ffmpeg CLI: no shared data
// needed. Outputs are checked with our probe/reader, ffprobe and a full ffmpeg decode.

#include "facemirror/io/segment_video.h"

#include <fstream>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "facemirror/io/video_writer.h"

#include "io_test_util.h"

namespace facemirror {
namespace {

namespace fs = std::filesystem;
using test::ffmpeg;
using test::ffprobe_stream;
using test::make_vfr_clip;
using test::quoted;

std::vector<cv::Mat> decode(const video_info& info) {
  video_reader reader(info);
  std::vector<cv::Mat> frames;
  for (auto& f : test::read_all(reader))
    frames.push_back(f.bgr);
  return frames;
}

// 4 s of 25 fps testsrc: 100 frames, 4:2:0 like real inputs.
video_info make_source(const fs::path& dir, const std::string& rate = "25", int seconds = 4) {
  const auto src = dir / ("src_" + std::to_string(seconds) + ".mp4");
  EXPECT_TRUE(ffmpeg("-f lavfi -i testsrc=size=320x240:rate=" + rate + " -t " +
                         std::to_string(seconds) +
                         " -c:v libx264 -preset ultrafast -bf 2 -g 12 -pix_fmt yuv420p",
                     src));
  return probe_video(src);
}

// Segment k covers frames [starts[k], starts[k+1]) (the last one up to frames.size()).
struct segmentation {
  std::vector<int64_t> starts;
  int64_t end(size_t k, size_t total) const {
    return k + 1 < starts.size() ? starts[k + 1] : static_cast<int64_t>(total);
  }
};

encoded_chunk encode_segment(const std::vector<cv::Mat>& frames, int64_t begin, int64_t end,
                             const segment_encoder_options& options = {}) {
  segment_encoder encoder(frames.at(0).size(), begin, options);
  for (int64_t i = begin; i < end; ++i)
    encoder.write(frames[static_cast<size_t>(i)]);
  EXPECT_EQ(encoder.frames_written(), end - begin);
  return encoder.finish();
}

// Encodes every segment (each on its own thread when `threaded`, started last segment first).
std::vector<encoded_chunk> encode_all(const std::vector<cv::Mat>& frames, const segmentation& seg,
                                      bool threaded = false,
                                      const segment_encoder_options& options = {}) {
  std::vector<encoded_chunk> chunks(seg.starts.size());
  std::vector<std::thread> workers;
  for (size_t k = seg.starts.size(); k-- > 0;) {
    auto job = [&, k] {
      chunks[k] = encode_segment(frames, seg.starts[k], seg.end(k, frames.size()), options);
    };
    if (threaded)
      workers.emplace_back(job);
    else
      job();
  }
  for (auto& w : workers)
    w.join();
  return chunks;
}

void mux(const fs::path& out, const video_info& timing, cv::Size size,
         const std::vector<encoded_chunk>& chunks) {
  chunk_muxer muxer(out, timing, size);
  for (const auto& c : chunks)
    muxer.append(c);
  muxer.finish();
}

std::string file_bytes(const fs::path& p) {
  std::stringstream text;
  text << std::ifstream(p, std::ios::binary).rdbuf();
  return text.str();
}

bool has_partial_files(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().find(".partial-") != std::string::npos)
      return true;
  }
  return false;
}

std::vector<long long> millis(const std::vector<double>& seconds) {
  std::vector<long long> out;
  for (double t : seconds)
    out.push_back(std::llround(t * 1000));
  return out;
}

// What `command` prints (stdout and stderr).
std::string output_of(const std::string& command, const fs::path& dir) {
  const fs::path out = dir / "command_output.txt";
  if (test::run_command(command + " > " + quoted(out) + " 2>&1") != 0)
    return "command failed: " + command;
  return file_bytes(out);
}

// Runs `work` with glibc filling every new allocation with non-zero garbage, so an encoder that
// reads memory it never initialised (libx264's AVX-512 code does, see src/io/h264_encoder.cpp)
// sees other values than in a fresh process, and gives other bytes.
template <typename F>
void with_dirty_allocations(F work) {
#ifdef __GLIBC__
  mallopt(M_PERTURB, 1);  // allocations are filled with 0xfe
  struct restore {
    ~restore() { mallopt(M_PERTURB, 0); }
  } restore_perturb;
#endif
  work();
}

const segmentation thirties{{0, 30, 60, 90}};  // 30/30/30/10 of 100 frames

TEST(SegmentVideo, SegmentsMuxIntoTheSourcesFramesAndTimestamps) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const video_info source = make_source(dir);
  ASSERT_EQ(source.frame_count(), 100);
  const auto frames = decode(source);
  const auto chunks = encode_all(frames, thirties);
  for (const auto& c : chunks) {
    EXPECT_FALSE(c.extradata.empty());
    EXPECT_EQ(c.extradata, chunks[0].extradata) << "SPS/PPS differ at frame " << c.first_frame;
    EXPECT_TRUE(c.packets.front().keyframe);
  }
  const auto out = dir / "out.mp4";
  mux(out, source, frames[0].size(), chunks);

  const video_info info = probe_video(out);
  ASSERT_EQ(info.frame_count(), 100);
  EXPECT_TRUE(info.constant_frame_rate);
  EXPECT_DOUBLE_EQ(info.average_fps, 25.0);
  EXPECT_EQ(millis(info.timestamps_s), millis(source.timestamps_s));
  for (int64_t k : thirties.starts) {
    EXPECT_NE(std::find(info.keyframe_indices.begin(), info.keyframe_indices.end(), k),
              info.keyframe_indices.end())
        << "no key frame at segment start " << k;
  }
  const auto decoded = decode(info);
  ASSERT_EQ(decoded.size(), frames.size());
  for (size_t i = 0; i < frames.size(); ++i)
    EXPECT_GT(cv::PSNR(decoded[i], frames[i]), 35.0) << "frame " << i;

  // The whole-file writer's output has the same clock.
  const auto whole = dir / "whole.mp4";
  video_writer writer(whole, source, frames[0].size());
  for (const auto& f : frames)
    writer.write(f);
  writer.finish();
  const video_info whole_info = probe_video(whole);
  EXPECT_EQ(whole_info.timestamps_s, info.timestamps_s);
  EXPECT_EQ(whole_info.average_fps, info.average_fps);
}

// The Y'CbCr values a frame is read and written with are the source's, so the file carries the
// source's colour tags, in the container and in the bitstream (a phone's BT.709 video tagged
// BT.601 showed shifted colours), and an untagged source stays untagged.
TEST(SegmentVideo, OutputsCarryTheSourcesColourTags) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const auto tagged = dir / "bt709.mp4";
  ASSERT_TRUE(
      ffmpeg("-f lavfi -i testsrc=size=160x120:rate=25 -t 1 -c:v libx264 -preset "
             "ultrafast -pix_fmt yuv420p -colorspace bt709 -color_primaries bt709 "
             "-color_trc bt709",
             tagged));
  const video_info source = probe_video(tagged);
  const colour_description bt709{1, 1, 1};
  ASSERT_TRUE(source.colour == bt709) << source.colour.matrix;
  const auto frames = decode(source);
  segment_encoder_options options;
  options.colour = source.colour;
  mux(dir / "segments.mp4", source, frames[0].size(),
      encode_all(frames, {{0, 10}}, false, options));
  video_writer writer(dir / "whole.mp4", source, frames[0].size());
  for (const auto& f : frames)
    writer.write(f);
  writer.finish();
  for (const char* name : {"segments.mp4", "whole.mp4"}) {
    EXPECT_TRUE(probe_video(dir / name).colour == bt709) << name;
    // The bitstream's own (SPS) tags, as a decoder reads them without the container.
    const std::string raw = (dir / (std::string(name) + ".h264")).string();
    ASSERT_EQ(
        test::run_command("ffmpeg -v error -y -i " + quoted(dir / name) +
                          " -c copy -bsf:v h264_mp4toannexb -f h264 " + quoted(fs::path(raw))),
        0);
    EXPECT_NE(output_of("ffprobe -v error -show_entries stream=color_space,color_primaries,"
                        "color_transfer -of csv=p=0 " +
                            quoted(fs::path(raw)),
                        dir)
                  .find("bt709,bt709,bt709"),
              std::string::npos)
        << name;
  }
  const video_info untagged = make_source(dir, "25", 1);
  ASSERT_TRUE(untagged.colour == colour_description{}) << untagged.colour.matrix;
  const auto plain = decode(untagged);
  mux(dir / "plain.mp4", untagged, plain[0].size(), encode_all(plain, {{0}}));
  EXPECT_TRUE(probe_video(dir / "plain.mp4").colour == colour_description{});
}

TEST(SegmentVideo, OutputIsByteIdenticalWhateverTheEncodingOrder) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const video_info source = make_source(dir);
  const auto frames = decode(source);
  const cv::Size size = frames[0].size();

  mux(dir / "a.mp4", source, size, encode_all(frames, thirties));
  with_dirty_allocations([&] { mux(dir / "b.mp4", source, size, encode_all(frames, thirties)); });
  // Concurrently, last segment first, and through the pipe's binary form.
  std::vector<encoded_chunk> shipped;
  for (const auto& c : encode_all(frames, thirties, true)) {
    std::string bytes;
    encode_chunk(c, bytes);
    shipped.push_back(decode_chunk(bytes));
  }
  mux(dir / "c.mp4", source, size, shipped);

  const std::string a = file_bytes(dir / "a.mp4");
  ASSERT_FALSE(a.empty());
  EXPECT_TRUE(a == file_bytes(dir / "b.mp4")) << "same frames, same segments, other bytes";
  EXPECT_TRUE(a == file_bytes(dir / "c.mp4")) << "threaded, reordered encode changed the bytes";
}

TEST(SegmentVideo, NtscRateAndFrameCountAreKept) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const video_info source = make_source(dir, "60000/1001", 2);
  ASSERT_EQ(source.frame_count(), 120);
  const auto frames = decode(source);
  segment_encoder_options options;
  options.frame_rate = source.average_fps;
  const auto out = dir / "ntsc.mp4";
  mux(out, source, frames[0].size(), encode_all(frames, {{0, 50, 100}}, false, options));

  const video_info info = probe_video(out);
  EXPECT_EQ(info.frame_count(), 120);
  EXPECT_DOUBLE_EQ(info.average_fps, 60000.0 / 1001.0);
  EXPECT_EQ(millis(info.timestamps_s), millis(source.timestamps_s));
  const std::string stream = ffprobe_stream(out, "avg_frame_rate,r_frame_rate,nb_frames");
  EXPECT_NE(stream.find("avg_frame_rate=60000/1001"), std::string::npos) << stream;
  EXPECT_NE(stream.find("r_frame_rate=60000/1001"), std::string::npos) << stream;
  EXPECT_NE(stream.find("nb_frames=120"), std::string::npos) << stream;
}

TEST(SegmentVideo, VariableFrameRateKeepsTimestamps) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const auto src = dir / "vfr.mp4";
  ASSERT_TRUE(make_vfr_clip(src, "320x240"));
  const video_info source = probe_video(src);
  ASSERT_EQ(source.frame_count(), 40);
  ASSERT_FALSE(source.constant_frame_rate);
  const auto frames = decode(source);
  const auto out = dir / "out.mp4";
  mux(out, source, frames[0].size(), encode_all(frames, {{0, 7, 25}}));
  const video_info info = probe_video(out);
  ASSERT_EQ(info.frame_count(), 40);
  for (size_t i = 0; i < 40; ++i)
    EXPECT_NEAR(info.timestamps_s[i], source.timestamps_s[i], 1e-6) << "frame " << i;
}

// The upright source copy of a rotated phone video keeps its sound: the source's audio packets
// from the first video frame on, unchanged, on the video's clock (S1's re-encode copied it).
TEST(SegmentVideo, AudioOfTheSourceIsCopiedOnTheVideosClock) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const auto src = dir / "with_audio.mov";
  // Audio from 0 s, video from 0.2 s: what precedes the first frame is left out.
  ASSERT_TRUE(
      test::ffmpeg("-f lavfi -i testsrc=size=160x120:rate=25:duration=2 -f lavfi -i "
                   "sine=frequency=440:duration=2.2 -map 0:v -map 1:a -vf "
                   "setpts=PTS+0.2/TB -c:v libx264 -preset ultrafast -pix_fmt yuv420p "
                   "-c:a aac -metadata creation_time=2026-03-04T10:11:12.000000Z -metadata "
                   "title=session2 -metadata comment=theirs",
                   src));
  const video_info source = probe_video(src);
  const auto frames = decode(source);
  const auto out = dir / "out.mp4";
  ASSERT_EQ(frames.size(), 50u);
  const segmentation halves{{0, 25}};
  chunk_muxer muxer(out, source, frames[0].size(), "", src);
  for (const auto& chunk : encode_all(frames, halves))
    muxer.append(chunk);
  muxer.finish();
  const std::string streams = output_of(
      "ffprobe -v error -show_entries stream=codec_type,codec_name -of csv=p=0 " + quoted(out),
      dir);
  EXPECT_EQ(streams, "h264,video\naac,audio\n");
  EXPECT_EQ(output_of("ffmpeg -nostdin -v error -i " + quoted(out) + " -f null -", dir), "");
  // The audio starts where the first frame is (0.2 s into the source's sound): at 0.
  const std::string start = output_of(
      "ffprobe -v error -select_streams a:0 -show_entries "
      "packet=pts_time -of csv=p=0 -read_intervals %+#1 " +
          quoted(out),
      dir);
  EXPECT_NEAR(std::stod(start), 0.0, 0.03) << start;
  // The recording's date and title come along (S1's -map_metadata 0); its comment does not
  // (the mirror job marks its own videos there).
  const std::string tags = output_of(
      "ffprobe -v error -show_entries format_tags=creation_time,title,comment -of "
      "default=noprint_wrappers=1 " +
          quoted(out),
      dir);
  EXPECT_NE(tags.find("creation_time=2026-03-04T10:11:12"), std::string::npos) << tags;
  EXPECT_NE(tags.find("title=session2"), std::string::npos) << tags;
  EXPECT_EQ(tags.find("comment"), std::string::npos) << tags;
  // Without audio_from, or from a source without sound, only the video.
  mux(dir / "silent.mp4", source, frames[0].size(), encode_all(frames, halves));
  EXPECT_EQ(output_of("ffprobe -v error -show_entries stream=codec_type -of csv=p=0 " +
                          quoted(dir / "silent.mp4"),
                      dir),
            "video\n");
}

TEST(SegmentVideo, FfmpegDecodesTheOutputWithoutErrors) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const video_info source = make_source(dir);
  const auto frames = decode(source);
  const auto out = dir / "out.mp4";
  mux(out, source, frames[0].size(), encode_all(frames, thirties));
  EXPECT_EQ(output_of("ffmpeg -nostdin -v error -i " + quoted(out) + " -f null -", dir), "");
}

TEST(SegmentVideo, OddSizeIsPaddedToEven) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const video_info source = make_source(dir, "25", 1);
  auto frames = decode(source);
  for (auto& f : frames)
    f = f(cv::Rect(0, 0, 161, 121)).clone();
  EXPECT_EQ(segment_encoder({161, 121}, 0).encoded_size(), cv::Size(162, 122));
  const auto chunks = encode_all(frames, {{0, 10}});
  EXPECT_EQ(chunks[0].width, 162);
  EXPECT_EQ(chunks[0].height, 122);
  const auto out = dir / "odd.mp4";
  mux(out, source, {161, 121}, chunks);
  const video_info info = probe_video(out);
  ASSERT_EQ(info.width, 162);
  ASSERT_EQ(info.height, 122);
  const auto decoded = decode(info);
  ASSERT_EQ(decoded.size(), frames.size());
  for (size_t i = 0; i < frames.size(); ++i)
    EXPECT_GT(cv::PSNR(decoded[i](cv::Rect(0, 0, 161, 121)), frames[i]), 35.0) << "frame " << i;
}

TEST(SegmentVideo, OutOfOrderOrMismatchedChunksAreRejected) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const video_info source = make_source(dir);
  const auto frames = decode(source);
  const auto chunks = encode_all(frames, thirties);
  segment_encoder_options other_rate;
  other_rate.frame_rate = 30;  // another SPS
  const auto other = encode_segment(frames, 30, 60, other_rate);

  const auto out = dir / "out.mp4";
  chunk_muxer muxer(out, source, frames[0].size());
  try {
    muxer.append(chunks[1]);
    FAIL() << "the second segment was accepted first";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_code::invalid_argument);
    EXPECT_NE(std::string(e.what()).find(out.string()), std::string::npos) << e.what();
  }
  // A rejected chunk changes nothing: the right one still goes in.
  muxer.append(chunks[0]);
  EXPECT_THROW(muxer.append(chunks[0]), error) << "a segment appended twice";
  EXPECT_THROW(muxer.append(other), error) << "a segment with other settings";
  encoded_chunk cut = chunks[1];
  cut.packets.erase(cut.packets.begin());  // starts at frame 31, not a key frame
  EXPECT_THROW(muxer.append(cut), error);
  EXPECT_EQ(muxer.frames_appended(), 30);
  for (size_t k = 1; k < chunks.size(); ++k)
    muxer.append(chunks[k]);
  muxer.finish();
  EXPECT_EQ(probe_video(out).frame_count(), 100);

  chunk_muxer small(dir / "small.mp4", source, {160, 120});
  EXPECT_THROW(small.append(chunks[0]), error) << "chunk size differs from the muxer's";
}

TEST(SegmentVideo, FinishWithMissingFramesLeavesNothing) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const video_info source = make_source(dir);
  const auto frames = decode(source);
  const auto chunks = encode_all(frames, thirties);
  const auto out = dir / "short.mp4";
  chunk_muxer muxer(out, source, frames[0].size());
  muxer.append(chunks[0]);
  muxer.append(chunks[1]);
  EXPECT_TRUE(has_partial_files(dir));
  try {
    muxer.finish();
    FAIL() << "finish() accepted 60 of 100 frames";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_code::invalid_argument);
    EXPECT_NE(std::string(e.what()).find(out.string()), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(has_partial_files(dir));
  EXPECT_THROW(muxer.append(chunks[2]), error) << "a failed muxer stays failed";
}

TEST(SegmentVideo, DestroyWithoutFinishLeavesNothing) {
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  const video_info source = make_source(dir);
  const auto frames = decode(source);
  const auto chunks = encode_all(frames, thirties);
  const auto out = dir / "unfinished.mp4";
  {
    chunk_muxer muxer(out, source, frames[0].size());
    for (const auto& c : chunks)
      muxer.append(c);  // every frame, but no finish()
  }
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(has_partial_files(dir));
}

TEST(SegmentVideo, BadEncoderInputIsRejected) {
  EXPECT_THROW(segment_encoder({0, 240}, 0), error);
  EXPECT_THROW(segment_encoder({320, 240}, -1), error);
  segment_encoder_options bad_preset;
  bad_preset.preset = "warp-speed";
  EXPECT_THROW(segment_encoder({320, 240}, 0, bad_preset), error);

  segment_encoder encoder({320, 240}, 10);
  EXPECT_THROW(encoder.write(cv::Mat(240, 321, CV_8UC3)), error);
  segment_encoder empty({320, 240}, 10);
  try {
    (void)empty.finish();
    FAIL() << "an empty segment was accepted";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_code::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("frame 10"), std::string::npos) << e.what();
  }
}

TEST(SegmentVideo, ChunkBinaryFormRoundTripsAndRejectsDamage) {
  encoded_chunk chunk;
  chunk.first_frame = 42;
  chunk.width = 64;
  chunk.height = 48;
  chunk.extradata = {0, 0, 0, 1, 0x67};
  chunk.data = {1, 2, 3, 4, 5, 6, 7};
  chunk.packets = {{0, 3, 42, true}, {3, 4, 43, false}};
  std::string bytes;
  encode_chunk(chunk, bytes);
  const encoded_chunk back = decode_chunk(bytes);
  EXPECT_EQ(back.first_frame, 42);
  EXPECT_EQ(back.width, 64);
  EXPECT_EQ(back.height, 48);
  EXPECT_EQ(back.extradata, chunk.extradata);
  EXPECT_EQ(back.data, chunk.data);
  ASSERT_EQ(back.packets.size(), 2u);
  EXPECT_EQ(back.packets[1].offset, 3);
  EXPECT_EQ(back.packets[1].size, 4);
  EXPECT_EQ(back.packets[1].frame, 43);
  EXPECT_TRUE(back.packets[0].keyframe);
  EXPECT_FALSE(back.packets[1].keyframe);

  EXPECT_THROW(decode_chunk(std::string_view(bytes).substr(0, bytes.size() - 1)), error);
  EXPECT_THROW(decode_chunk(bytes + "x"), error);
  std::string bad_magic = bytes;
  bad_magic[0] ^= 1;
  EXPECT_THROW(decode_chunk(bad_magic), error);
  encoded_chunk out_of_bounds = chunk;
  out_of_bounds.packets[1].size = 5;
  std::string oob;
  encode_chunk(out_of_bounds, oob);
  EXPECT_THROW(decode_chunk(oob), error);
}

}  // namespace
}  // namespace facemirror

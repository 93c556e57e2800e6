#pragma once
// Video encoding through FFmpeg's libraries: H.264 (libx264, yuv420p) in an MP4 container.
//
// WHAT THIS REPRESENTS
//   One output video being written, frame by frame, with the timing of a source video: the same
//   frame count and the same presentation times, so a row of the source's CSV and a frame of the
//   output line up. Frames go in upright (rotation already applied) and the output carries no
//   rotation metadata.
//
// TIMING
//   A constant-rate source (video_info::constant_frame_rate) is written on its exact rational
//   rate: 59.94 fps stays 60000/1001, frame i at i * 1001/60000 s, and ffprobe reports
//   avg_frame_rate 60000/1001. A variable-rate source keeps its own PTS (the frame table's
//   pts[], relative to the first frame, in the source's time base), so probe_video() of the
//   output gives the source's timestamps_s. The last frame lasts as long as the one before it.
//
// SIZE
//   4:2:0 H.264 cannot store an odd width or height, so an odd size is padded up to even by
//   repeating the last column/row; encoded_size() says what the file holds. Every input pixel is
//   kept; the padding is one duplicate column and/or row at the right/bottom edge.
//
// COLOUR
//   BGR is converted to limited-range YUV with swscale's matrix (bicubic), the one
//   video_reader's conversion inverts, so a frame read and written keeps its Y'CbCr values: the
//   file carries the source's colour tags (video_info::colour; a BT.709 phone video stays
//   BT.709, an untagged one untagged), and a player shows it in the source's colours.
//
// ALL OR NOTHING
//   Bytes go to "<target>.partial-<host>-<pid>-<n>" in the target's folder; finish() renames it
//   onto the target (replacing an existing file atomically). A writer destroyed without a
//   successful finish() (an error, an exception elsewhere, too few frames) removes the partial file
//   and leaves any existing target untouched.
//
// THREAD SAFETY
//   A video_writer is used by one thread at a time. Different writers (different targets) may
//   run concurrently. The first call into the io module silences libav's logging process-wide.
//
// ERRORS
//   facemirror::error with a one-line message naming the target: io when the file cannot be
//   created, written or renamed; codec when the encoder cannot be opened (no libx264, bad
//   preset); invalid_argument for a bad call (wrong frame size or type, more or fewer frames than
//   timing.frame_count(), bad options). After any error only destroy the writer.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "facemirror/error.h"
#include "facemirror/io/video_reader.h"

namespace facemirror {

struct video_writer_options {
  int crf = 18;                     // libx264 constant rate factor, 0 (lossless) to 51
  std::string preset = "veryfast";  // libx264 preset name
  int encoder_threads = 1;          // 1: the pipeline parallelises elsewhere; 0: libav chooses
  bool faststart = true;            // moov atom at the front, so players can start streaming
};

class video_writer {
 public:
  /// Creates the partial file and opens the encoder. `timing` is the source's probe (frame
  /// count, rate, PTS); `size` is the size of the frames write() will get.
  video_writer(std::filesystem::path target, const video_info& timing, cv::Size size,
               video_writer_options options = {});
  /// Without a successful finish(): removes the partial file.
  ~video_writer();
  video_writer(video_writer&&) noexcept;
  video_writer& operator=(video_writer&&) noexcept;
  video_writer(const video_writer&) = delete;
  video_writer& operator=(const video_writer&) = delete;

  /// Encodes the next frame: 8-bit BGR (CV_8UC3) of the constructor's size. Throws
  /// invalid_argument for a frame of another size/type or beyond timing.frame_count().
  void write(const cv::Mat& bgr);

  /// Flushes the encoder, completes the file and renames it onto the target. Throws
  /// invalid_argument (and writes nothing) if fewer than timing.frame_count() frames came.
  void finish();

  [[nodiscard]] const std::filesystem::path& target() const;
  [[nodiscard]] int64_t frames_written() const;
  /// The stored frame size: the constructor's size rounded up to even.
  [[nodiscard]] cv::Size encoded_size() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace facemirror

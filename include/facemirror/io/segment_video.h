#pragma once
// Segment-parallel video encoding: each worker encodes its own segment of an output video into
// an in-memory chunk of H.264 packets; one in-order stage muxes the chunks, without
// re-encoding, into the final MP4. Raw frames never queue up between workers and the writer.
//
// WHAT THIS REPRESENTS
//   encoded_chunk: the packets of one segment (frames first_frame .. first_frame+n-1) of one
//   output stream, plain data. segment_encoder: makes one chunk. chunk_muxer: one output file
//   assembled from its chunks in segment order.
//
// BITSTREAM
//   libx264, yuv420p, one thread, no B-frames (so decode order is presentation order and DTS ==
//   PTS across chunk boundaries), fixed settings (crf, preset). Every chunk starts with an IDR
//   frame, so chunks are independently decodable and concatenate into a valid stream. The SPS/PPS
//   (extradata) depend only on size, crf, preset, frame_rate and colour, not on the frames or on
//   first_frame: all chunks of a stream carry identical extradata, and the muxer rejects a chunk
//   whose extradata differs (different settings). x264's informational SEI (its version and
//   options) is repeated at the start of each chunk, a few hundred bytes. Two one-frame chunks in a
//   row give two IDR frames with the same idr_pic_id (x264 starts each encoder at 0), which the
//   standard disallows for consecutive IDRs; libav decodes them correctly (tested with all
//   one-frame chunks), and real segmentations have at most one short, final segment.
//
// DETERMINISM
//   A chunk's bytes depend only on its frames, first_frame and the options, never on the thread,
//   process or order in which segments are encoded, so the muxed file is byte-identical whatever
//   the worker count (for a fixed segmentation; other segment boundaries give other files).
//
// TIMING, SIZE, COLOUR, ALL OR NOTHING, ERRORS
//   As video_writer (see video_writer.h): frame i gets the timestamp and duration the writer
//   would give it from the same video_info (59.94 stays 60000/1001, variable rates keep their
//   PTS); odd sizes are padded to even; BT.601 limited range; output goes to
//   "<target>.partial-<host>-<pid>-<n>" and finish() renames it onto the target; a muxer destroyed
//   without a successful finish() removes the partial file. Errors are facemirror::error with a
//   one-line message naming the file (or, for an encoder, the segment's first frame).
//
// THREAD SAFETY
//   encoded_chunk is a value: move it between threads freely. A segment_encoder is used by one
//   thread; encoders of different segments and streams run concurrently. A chunk_muxer is fed by
//   one thread.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "facemirror/error.h"
#include "facemirror/io/video_reader.h"

namespace facemirror {

struct encoded_packet {
  int64_t offset = 0;  // into encoded_chunk::data
  int64_t size = 0;
  int64_t frame = 0;  // index from the start of the video: presentation == decode order
  bool keyframe = false;
};

/// Encoded packets of one segment of one output video.
struct encoded_chunk {
  int64_t first_frame = 0;
  int width = 0;  // encoded (even) size
  int height = 0;
  std::vector<uint8_t> extradata;       // SPS/PPS, Annex B; identical for all chunks of a stream
  std::vector<uint8_t> data;            // all packets back to back
  std::vector<encoded_packet> packets;  // one per frame, in order

  [[nodiscard]] int64_t frame_count() const { return static_cast<int64_t>(packets.size()); }
  [[nodiscard]] int64_t end_frame() const { return first_frame + frame_count(); }
};

/// Appends a chunk's binary form to `out` (for the process-isolation pipe). Both ends are the
/// same binary on the same machine: integers travel in native layout.
void encode_chunk(const encoded_chunk& chunk, std::string& out);
/// The chunk `bytes` (exactly one encode_chunk() output) holds. Throws error(internal) if the
/// buffer is malformed (bad magic, sizes or packet bounds).
[[nodiscard]] encoded_chunk decode_chunk(std::string_view bytes);

struct segment_encoder_options {
  int crf = 18;                     // libx264 constant rate factor, 0 (lossless) to 51
  std::string preset = "veryfast";  // libx264 preset name
  /// The source's video_info::average_fps, written into the SPS timing info as video_writer
  /// does (the MP4 timing comes from the muxer either way); 0 writes 25. Part of the extradata,
  /// so the same for every segment of a stream.
  double frame_rate = 0;
  /// Frames from one key frame to the next within the chunk (which starts with one); 0: x264's
  /// default, 250. Shorter makes a seek decode fewer frames and the file a little larger.
  int keyframe_interval = 0;
  /// The source's video_info::colour, written into the SPS (so part of the extradata) and,
  /// by chunk_muxer from its `timing`, into the file's stream: the same for every segment.
  colour_description colour;
};

/// Encodes frames first_frame, first_frame+1, ... of one output stream into one chunk.
class segment_encoder {
 public:
  /// `size`: of the frames write() gets. Throws invalid_argument for a bad size or option,
  /// codec if libx264 cannot be opened.
  segment_encoder(cv::Size size, int64_t first_frame, segment_encoder_options options = {});
  ~segment_encoder();
  segment_encoder(segment_encoder&&) noexcept;
  segment_encoder& operator=(segment_encoder&&) noexcept;
  segment_encoder(const segment_encoder&) = delete;
  segment_encoder& operator=(const segment_encoder&) = delete;

  /// Encodes the next frame: 8-bit BGR (CV_8UC3) of the constructor's size; throws
  /// invalid_argument otherwise.
  void write(const cv::Mat& bgr);
  /// Flushes the encoder and returns the segment's packets. Throws invalid_argument if no frame
  /// came. Only destruction may follow.
  [[nodiscard]] encoded_chunk finish();

  [[nodiscard]] int64_t frames_written() const;
  [[nodiscard]] cv::Size encoded_size() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Writes one MP4 from chunks appended in segment order.
class chunk_muxer {
 public:
  /// Creates the partial file. `timing` is the source's probe; `size` is the frame size the
  /// chunks were encoded from (before padding); `comment`, when not empty, becomes the file's
  /// comment tag (video_info::comment when probed).
  /// `audio_from`, when not empty, is the source file whose first audio stream finish() copies
  /// into the file (no re-encoding), its times moved as the video's (the first frame at 0):
  /// when the source has one the MP4 container can hold and that can be read; audio before
  /// the first frame is left out. The file also takes its container tags (creation_time, the
  /// recording's date; location, title, ...; not its comment), as S1's -map_metadata 0 did.
  chunk_muxer(std::filesystem::path target, const video_info& timing, cv::Size size,
              std::string comment = {}, const std::filesystem::path& audio_from = {});
  /// Without a successful finish(): removes the partial file.
  ~chunk_muxer();
  chunk_muxer(chunk_muxer&&) noexcept;
  chunk_muxer& operator=(chunk_muxer&&) noexcept;
  chunk_muxer(const chunk_muxer&) = delete;
  chunk_muxer& operator=(const chunk_muxer&) = delete;

  /// Writes the chunk's packets. It must start at frames_appended(), fit in the source's frame
  /// count, match the size and the previous chunks' extradata, and start with a key frame:
  /// otherwise throws invalid_argument and nothing changes (append the right chunk next).
  void append(const encoded_chunk& chunk);
  /// Completes the file and renames it onto the target. If fewer than timing.frame_count()
  /// frames came, removes the partial file and throws invalid_argument.
  void finish();

  [[nodiscard]] const std::filesystem::path& target() const;
  [[nodiscard]] int64_t frames_appended() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace facemirror

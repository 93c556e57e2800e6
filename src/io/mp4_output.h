#pragma once
// Private to src/io/: one MP4 file being written all-or-nothing, shared by video_writer and
// chunk_muxer. Bytes go to "<target>.partial-<host>-<pid>-<n>" (n counts up per process, so writers
// and muxers in one process never share a name); commit() completes, syncs and renames it onto the
// target; destroying it uncommitted removes the partial file and leaves the target untouched.
// The partial files of a killed run are removed by the next writer of the target
// (core/partial_path.h).
// Used by one thread at a time.

#include <filesystem>
#include <string>

#include "io/libav.h"

namespace facemirror::io_detail {

/// Throws error(code) with "cannot write video <target>: <reason>".
[[noreturn]] void fail_write(error_code code, const std::filesystem::path& target,
                             const std::string& reason);

class mp4_output {
 public:
  /// Creates the partial file and the MP4 muxer (nothing is written yet).
  explicit mp4_output(std::filesystem::path target);
  ~mp4_output();
  mp4_output(const mp4_output&) = delete;
  mp4_output& operator=(const mp4_output&) = delete;

  /// The video stream; set its codecpar and time_base before write_header().
  [[nodiscard]] AVStream* stream() const { return stream_; }
  /// A further stream (audio copied from the source), added before write_header(); its
  /// packets go through write_to().
  [[nodiscard]] AVStream* add_stream();
  /// Whether a stream of this audio codec is copied into MP4 as a matter of course (AAC, MP3,
  /// AC-3, E-AC-3, ALAC, Opus; libav's FLAC in MP4 is experimental in Debian 12's FFmpeg, and
  /// its MP4 muxer takes no PCM).
  [[nodiscard]] static bool takes_audio_codec(AVCodecID codec);
  /// Writes one packet of `stream`; false (nothing written) when the muxer refuses it (a
  /// timestamp out of order), so a caller may leave that stream there.
  [[nodiscard]] bool try_write_to(AVStream* stream, AVPacket* packet);
  /// Stores `tags` (a source container's: creation_time, location, title, ...) as the file's,
  /// but its comment (write_header's); before write_header().
  void copy_tags(const AVDictionary* tags);
  /// Whether the encoder must put SPS/PPS in extradata (always true for MP4).
  [[nodiscard]] bool wants_global_header() const;

  /// faststart: the moov atom goes to the front (a second pass over the file at commit()).
  /// `comment`, when not empty, is stored as the file's comment tag (ffprobe shows it).
  void write_header(bool faststart, const std::string& comment = {});
  /// Writes one packet whose timestamps are in stream()->time_base. The packet need not be
  /// reference-counted: with one stream nothing is queued, so nothing is copied.
  void write(AVPacket* packet);
  /// Writes one packet of `stream` (from add_stream()), timestamps in its time_base; each
  /// stream's packets in increasing dts (streams need not interleave).
  void write_to(AVStream* stream, AVPacket* packet);
  /// Trailer, close, fsync, rename onto the target.
  void commit();
  /// Closes and removes the partial file (also done by the destructor unless committed).
  void discard();

  [[nodiscard]] const std::filesystem::path& target() const { return target_; }

 private:
  [[noreturn]] void fail(error_code code, const std::string& reason) const {
    fail_write(code, target_, reason);
  }

  struct output_closer {
    void operator()(AVFormatContext* p) const;
  };

  std::filesystem::path target_;
  std::filesystem::path partial_;
  std::unique_ptr<AVFormatContext, output_closer> output_;
  AVStream* stream_ = nullptr;
  bool committed_ = false;
};

}  // namespace facemirror::io_detail

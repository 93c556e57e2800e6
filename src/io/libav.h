#pragma once
// Private helpers shared by probe_video() and video_reader: owning handles for libav objects,
// opening a file's video stream, and turning libav failures into facemirror::error.
// Not part of the public API: no libav type leaves src/io/.

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}

#include <filesystem>
#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "facemirror/error.h"

namespace facemirror::io_detail {

struct format_closer {
  void operator()(AVFormatContext* p) const { avformat_close_input(&p); }
};
struct codec_closer {
  void operator()(AVCodecContext* p) const { avcodec_free_context(&p); }
};
struct packet_closer {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct frame_closer {
  void operator()(AVFrame* p) const { av_frame_free(&p); }
};
struct sws_closer {
  void operator()(SwsContext* p) const { sws_freeContext(p); }
};

using format_ptr = std::unique_ptr<AVFormatContext, format_closer>;
using codec_ptr = std::unique_ptr<AVCodecContext, codec_closer>;
using packet_ptr = std::unique_ptr<AVPacket, packet_closer>;
using frame_ptr = std::unique_ptr<AVFrame, frame_closer>;
using sws_ptr = std::unique_ptr<SwsContext, sws_closer>;

/// Sets libav's log level to quiet, once per process, so our error is the only output.
/// open_input() calls it; so does every other entry point into libav (the writer).
void silence_libav();

/// libav's text for an AVERROR code.
std::string av_error_text(int code);

/// Throws error(code) whose one-line message names the file and the reason.
[[noreturn]] void fail(error_code code, const std::filesystem::path& path,
                       const std::string& reason);

/// An opened container positioned at its start, with the video stream chosen and every other
/// stream discarded (so demuxing skips audio).
struct opened_input {
  format_ptr format;
  int stream_index = -1;
  [[nodiscard]] AVStream* stream() const { return format->streams[stream_index]; }
};

/// Opens `path` and selects its video stream. Throws io for missing/empty/unreadable files and
/// codec for non-video files, files without a video stream or without a decoder for it.
/// Also silences libav's console logging, once per process, so our message is the only one.
opened_input open_input(const std::filesystem::path& path);

/// A decoder for the chosen stream with `threads` decoding threads (1 = single-threaded, so
/// parallelism stays with the pipeline's segments; 0 lets libav pick).
codec_ptr open_decoder(const opened_input& input, int threads);

/// Decoded pictures to 8-bit BGR as cv::VideoCapture converts them (swscale, bicubic), so
/// pixels match OpenCV-based tools (OpenFace).
class bgr_converter {
 public:
  /// A continuous BGR picture of `frame` in `out`, whose pixels nobody else holds; false for a
  /// pixel format swscale cannot convert. When a BGR row is a multiple of 64 bytes (widths
  /// divisible by 64, e.g. 640, 1280, 1920, 3840) `out` shares the converter's buffer, which
  /// the next call reuses only if `out`'s pixels have been released by then (else it
  /// allocates a new one): a caller never sees its frame overwritten.
  [[nodiscard]] bool convert(const AVFrame& frame, cv::Mat& out);

 private:
  sws_ptr sws_;
  cv::Mat buffer_;  // swscale output (padded rows, one spare row), reused when free
};

}  // namespace facemirror::io_detail

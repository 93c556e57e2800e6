#pragma once
// Private to src/io/: 8-bit BGR frames -> limited-range BT.601 YUV 4:2:0 (swscale, bicubic) ->
// libx264, shared by video_writer (one encoder per file) and segment_encoder (one per segment).
// Odd sizes are padded up to even by repeating the last column/row (see video_writer.h, SIZE).
//
// DETERMINISM
//   With threads == 1 the packets depend only on the frames and the settings, which segment-
//   parallel encoding needs (the same file whatever the worker count). Two things were needed:
//   - libx264's AVX-512 code makes the bitstream depend on memory it never initialised (the same
//     frames gave different files with different malloc fill bytes); the encoder is capped at
//     AVX2 on CPUs that have AVX-512 (see x264_params() in the .cpp).
//   - swscale and libx264 may read past the visible width into row padding and spare rows, so
//     the BGR scratch and the YUV picture are zeroed when allocated: no input byte is undefined.

extern "C" {
#include <libavutil/rational.h>
}

#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

#include "facemirror/io/video_reader.h"

#include "io/libav.h"

namespace facemirror::io_detail {

// swscale's default BGR -> YUV conversion writes limited range.
constexpr AVColorRange h264_color_range = AVCOL_RANGE_MPEG;

struct h264_settings {
  cv::Size size;          // of the BGR frames send() gets; the encoder's is rounded up to even
  AVRational time_base;   // unit of send()'s pts
  AVRational frame_rate;  // nominal; written into the SPS timing info
  int crf = 18;
  // The source's tags (video_info::colour): its Y'CbCr values are what the encoder gets back.
  colour_description colour;
  std::string preset = "veryfast";
  int threads = 1;             // 1 for reproducible output; 0 lets libav choose
  bool global_header = true;   // SPS/PPS in extradata (MP4's avcC) rather than in-band
  bool allow_b_frames = true;  // false: bf=0, so decode order == presentation order
  int keyframe_interval = 0;   // frames from one key frame to the next; 0: x264's default (250)
};

/// x264's preset names. Checked before opening because x264 prints its own error to stderr
/// for an unknown preset.
bool is_x264_preset(const std::string& name);

/// `s` rounded up to even (4:2:0 H.264 cannot store odd sizes).
cv::Size even_size(cv::Size s);

/// One libx264 encoder fed BGR frames. Used by one thread at a time.
class h264_encoder {
 public:
  /// Opens libx264. Errors throw facemirror::error with `error_prefix` + reason as the message
  /// (the prefix names the file or segment, e.g. "cannot write video x.mp4: ").
  h264_encoder(const h264_settings& settings, std::string error_prefix);

  /// Converts and encodes one CV_8UC3 frame of settings.size (the caller checks size/type).
  void send(const cv::Mat& bgr, int64_t pts);
  /// Signals the end of the input; receive() then returns the delayed packets.
  void send_end();
  /// The next packet the encoder has ready, owned by the encoder and valid until the next call;
  /// nullptr when it needs more input (or, after send_end(), when it is drained).
  AVPacket* receive();

  [[nodiscard]] AVCodecContext* context() const { return encoder_.get(); }
  [[nodiscard]] cv::Size coded_size() const { return coded_; }

 private:
  [[noreturn]] void fail(error_code code, const std::string& reason) const;

  std::string error_prefix_;
  cv::Size size_;
  cv::Size coded_;
  codec_ptr encoder_;
  frame_ptr frame_{av_frame_alloc()};
  packet_ptr packet_{av_packet_alloc()};
  sws_ptr sws_;
  cv::Mat scratch_;  // padded BGR input for swscale, reused across frames
  int64_t sent_ = 0;
};

}  // namespace facemirror::io_detail

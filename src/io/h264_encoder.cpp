#include "io/h264_encoder.h"

extern "C" {
#include <libavutil/opt.h>
}

#include <algorithm>
#include <cstring>
#include <iterator>

namespace facemirror::io_detail {

bool is_x264_preset(const std::string& name) {
  static const char* const presets[] = {"ultrafast", "superfast", "veryfast", "faster",
                                        "fast",      "medium",    "slow",     "slower",
                                        "veryslow",  "placebo"};
  return std::find(std::begin(presets), std::end(presets), name) != std::end(presets);
}

cv::Size even_size(cv::Size s) {
  return {s.width + (s.width & 1), s.height + (s.height & 1)};
}

namespace {

// A fresh picture buffer with every byte (row padding included) defined; see DETERMINISM.
bool alloc_zeroed(AVFrame* frame, cv::Size size) {
  av_frame_unref(frame);
  frame->format = AV_PIX_FMT_YUV420P;
  frame->width = size.width;
  frame->height = size.height;
  if (av_frame_get_buffer(frame, 0) < 0)
    return false;
  for (AVBufferRef* buf : frame->buf) {
    if (buf != nullptr)
      std::memset(buf->data, 0, buf->size);
  }
  return true;
}

// libx264 (core 164 here) output depends on uninitialised memory when its AVX-512 code runs:
// with glibc's malloc fill byte (MALLOC_PERTURB_) set to different values the same frames gave
// different bitstreams; with asm=avx2, or with mbtree=0 (39% larger files), they did not. The
// cap made no difference beyond noise (5%) at 1080x720, veryfast, one thread. It is named only
// where the CPU and OS support AVX-512 (libgcc's check includes the OS), because x264 uses a named
// set as given rather than intersecting it with what it detects.
const char* x264_params() {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2"))
    return "asm=avx2";
#endif
  return nullptr;
}

}  // namespace

h264_encoder::h264_encoder(const h264_settings& settings, std::string error_prefix)
    : error_prefix_(std::move(error_prefix)), size_(settings.size), coded_(even_size(size_)) {
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (codec == nullptr)
    fail(error_code::codec, "libav was built without the libx264 encoder");
  encoder_.reset(avcodec_alloc_context3(codec));
  if (!encoder_ || !frame_ || !packet_)
    fail(error_code::internal, "out of memory");
  AVCodecContext* enc = encoder_.get();
  enc->width = coded_.width;
  enc->height = coded_.height;
  enc->pix_fmt = AV_PIX_FMT_YUV420P;
  enc->time_base = settings.time_base;
  enc->framerate = settings.frame_rate;
  enc->thread_count = settings.threads;
  enc->colorspace = static_cast<AVColorSpace>(settings.colour.matrix);
  enc->color_primaries = static_cast<AVColorPrimaries>(settings.colour.primaries);
  enc->color_trc = static_cast<AVColorTransferCharacteristic>(settings.colour.transfer);
  enc->color_range = h264_color_range;
  if (settings.global_header)
    enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;  // MP4 keeps SPS/PPS in the avcC box
  if (!settings.allow_b_frames)
    enc->max_b_frames = 0;
  if (settings.keyframe_interval > 0)
    enc->gop_size = settings.keyframe_interval;
  av_opt_set(enc->priv_data, "preset", settings.preset.c_str(), 0);
  av_opt_set_double(enc->priv_data, "crf", settings.crf, 0);
  if (const char* params = x264_params())
    av_opt_set(enc->priv_data, "x264-params", params, 0);
  const int rc = avcodec_open2(enc, codec, nullptr);
  if (rc < 0) {
    fail(error_code::codec,
         "cannot open libx264 with preset '" + settings.preset + "' (" + av_error_text(rc) + ")");
  }

  if (!alloc_zeroed(frame_.get(), coded_))
    fail(error_code::internal, "out of memory");
  // SWS_BICUBIC as in video_reader; defaults: BT.601 matrix, full-range RGB to limited YUV.
  sws_.reset(sws_getContext(coded_.width, coded_.height, AV_PIX_FMT_BGR24, coded_.width,
                            coded_.height, AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr, nullptr,
                            nullptr));
  if (!sws_)
    fail(error_code::internal, "cannot set up the BGR to YUV conversion");
  // swscale's SIMD reads whole vectors: every row (and one spare row) gets defined slack.
  scratch_ = cv::Mat::zeros(coded_.height + 1, (coded_.width * 3 + 63) / 64 * 64, CV_8UC1);
}

void h264_encoder::fail(error_code code, const std::string& reason) const {
  throw error(code, error_prefix_ + reason);
}

void h264_encoder::send(const cv::Mat& bgr, int64_t pts) {
  cv::Mat padded(coded_, CV_8UC3, scratch_.data, scratch_.step);
  bgr.copyTo(padded(cv::Rect({0, 0}, size_)));
  if (coded_.width != size_.width) {
    padded(cv::Rect(size_.width - 1, 0, 1, size_.height))
        .copyTo(padded(cv::Rect(size_.width, 0, 1, size_.height)));
  }
  if (coded_.height != size_.height)
    padded.row(size_.height - 1).copyTo(padded.row(size_.height));

  // libavcodec releases the picture when the encoder has copied it in; should it ever keep a
  // reference, a new (zeroed) buffer is taken rather than writing into the shared one.
  if (!av_frame_is_writable(frame_.get()) && !alloc_zeroed(frame_.get(), coded_))
    fail(error_code::internal, "out of memory");
  const uint8_t* src[4] = {padded.data, nullptr, nullptr, nullptr};
  const int src_stride[4] = {static_cast<int>(padded.step), 0, 0, 0};
  sws_scale(sws_.get(), src, src_stride, 0, coded_.height, frame_->data, frame_->linesize);
  frame_->pts = pts;
  const int rc = avcodec_send_frame(encoder_.get(), frame_.get());
  if (rc < 0) {
    fail(error_code::codec,
         "encoding frame " + std::to_string(sent_) + " failed (" + av_error_text(rc) + ")");
  }
  ++sent_;
}

void h264_encoder::send_end() {
  const int rc = avcodec_send_frame(encoder_.get(), nullptr);
  if (rc < 0)
    fail(error_code::codec, "flushing failed (" + av_error_text(rc) + ")");
}

AVPacket* h264_encoder::receive() {
  const int rc = avcodec_receive_packet(encoder_.get(), packet_.get());
  if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
    return nullptr;
  if (rc < 0)
    fail(error_code::codec, "encoding failed (" + av_error_text(rc) + ")");
  return packet_.get();
}

}  // namespace facemirror::io_detail

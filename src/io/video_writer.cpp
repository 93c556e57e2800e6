// video_writer: libx264 in MP4 through libavcodec/libavformat, on the source's frame clock,
// written to a partial file that finish() renames onto the target.

#include "facemirror/io/video_writer.h"

#include <optional>
#include <string>

#include "io/h264_encoder.h"
#include "io/mp4_output.h"
#include "io/output_clock.h"

namespace facemirror {
namespace {

namespace fs = std::filesystem;
using io_detail::fail_write;

}  // namespace

struct video_writer::impl {
  fs::path target;
  cv::Size size;
  cv::Size coded;  // size rounded up to even
  io_detail::output_clock clock;
  std::optional<io_detail::mp4_output> output;  // declared before the encoder it outlives
  std::optional<io_detail::h264_encoder> encoder;
  int64_t written = 0;
  bool finished = false;
  bool failed = false;  // an earlier call threw: the file is unusable

  [[nodiscard]] int64_t count() const { return static_cast<int64_t>(clock.pts.size()); }

  void open(const video_info& timing, const video_writer_options& options) {
    coded = io_detail::even_size(size);
    clock = io_detail::make_output_clock(timing);
    output.emplace(target);

    io_detail::h264_settings settings;
    settings.size = size;
    settings.time_base = clock.time_base;
    settings.frame_rate = clock.frame_rate;
    settings.crf = options.crf;
    settings.preset = options.preset;
    settings.threads = options.encoder_threads;
    settings.colour = timing.colour;
    settings.global_header = output->wants_global_header();
    encoder.emplace(settings, "cannot write video " + target.string() + ": ");

    AVStream* stream = output->stream();
    stream->time_base = clock.time_base;  // a hint: the muxer picks its own timescale
    stream->avg_frame_rate = clock.frame_rate;
    const int rc = avcodec_parameters_from_context(stream->codecpar, encoder->context());
    if (rc < 0)
      fail_write(error_code::internal, target, io_detail::av_error_text(rc));
    output->write_header(options.faststart);
  }

  // Moves every packet the encoder has ready into the file.
  void drain() {
    while (AVPacket* packet = encoder->receive()) {
      // libx264 leaves durations unset; the muxer needs them for the last frame and the rate.
      packet->duration = clock.duration_at(packet->pts);
      av_packet_rescale_ts(packet, clock.time_base, output->stream()->time_base);
      output->write(packet);
    }
  }

  void encode(const cv::Mat& bgr) {
    encoder->send(bgr, clock.pts[static_cast<size_t>(written)]);
    drain();
  }

  void complete() {
    encoder->send_end();
    drain();
    output->commit();
  }
};

video_writer::video_writer(fs::path target, const video_info& timing, cv::Size size,
                           video_writer_options options)
    : impl_(std::make_unique<impl>()) {
  impl& s = *impl_;
  s.target = std::move(target);
  s.size = size;
  if (timing.frame_count() == 0)
    fail_write(error_code::invalid_argument, s.target, "the source's timing holds no frames");
  if (size.width <= 0 || size.height <= 0)
    fail_write(error_code::invalid_argument, s.target, "frame size must be positive");
  if (options.crf < 0 || options.crf > 51)
    fail_write(error_code::invalid_argument, s.target, "crf must be 0 to 51");
  if (!io_detail::is_x264_preset(options.preset))
    fail_write(error_code::invalid_argument, s.target,
               "unknown x264 preset '" + options.preset + "'");
  if (options.encoder_threads < 0)
    fail_write(error_code::invalid_argument, s.target, "encoder_threads must be 0 or more");
  s.open(timing, options);  // on failure ~impl removes whatever it created
}

video_writer::~video_writer() = default;
video_writer::video_writer(video_writer&&) noexcept = default;
video_writer& video_writer::operator=(video_writer&&) noexcept = default;

void video_writer::write(const cv::Mat& bgr) {
  impl& s = *impl_;
  if (s.finished || s.failed)
    fail_write(error_code::invalid_argument, s.target, "write() after finish() or an error");
  s.failed = true;  // until this frame is in
  if (bgr.type() != CV_8UC3 || bgr.size() != s.size) {
    fail_write(error_code::invalid_argument, s.target,
               "frame " + std::to_string(s.written) + " is not 8-bit BGR of " +
                   std::to_string(s.size.width) + "x" + std::to_string(s.size.height));
  }
  if (s.written >= s.count()) {
    fail_write(error_code::invalid_argument, s.target,
               "more frames than the source's " + std::to_string(s.count()));
  }
  s.encode(bgr);
  ++s.written;
  s.failed = false;
}

void video_writer::finish() {
  impl& s = *impl_;
  if (s.finished || s.failed)
    fail_write(error_code::invalid_argument, s.target, "finish() after finish() or an error");
  s.failed = true;
  if (s.written != s.count()) {
    s.output->discard();
    fail_write(error_code::invalid_argument, s.target,
               "got " + std::to_string(s.written) + " frames, the source has " +
                   std::to_string(s.count()));
  }
  s.complete();
  s.finished = true;
  s.failed = false;
}

const fs::path& video_writer::target() const {
  return impl_->target;
}

int64_t video_writer::frames_written() const {
  return impl_->written;
}

cv::Size video_writer::encoded_size() const {
  return impl_->coded;
}

}  // namespace facemirror

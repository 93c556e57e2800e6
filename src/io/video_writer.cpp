// video_writer: libx264 in MP4 through libavcodec/libavformat, on the source's frame clock,
// written to a partial file that finish() renames onto the target.

#include "facemirror/io/video_writer.h"

extern "C" {
#include <libavutil/opt.h>
}

#include <algorithm>
#include <atomic>
#include <iterator>
#include <string>
#include <system_error>

#include "io/libav.h"
#include "io/output_clock.h"
#include <fcntl.h>
#include <unistd.h>

namespace facemirror {
namespace {

namespace fs = std::filesystem;

std::atomic<unsigned> partial_counter{0};

[[noreturn]] void fail(error_code code, const fs::path& target, const std::string& reason) {
  throw error(code, "cannot write video " + target.string() + ": " + reason);
}

struct output_closer {
  void operator()(AVFormatContext* p) const {
    if (p->pb != nullptr)
      avio_closep(&p->pb);
    avformat_free_context(p);
  }
};
using output_ptr = std::unique_ptr<AVFormatContext, output_closer>;

// x264's preset names (x264_preset_names). Checked here because x264 prints its own error to
// stderr for an unknown preset, before libav's log hook is installed.
bool is_x264_preset(const std::string& name) {
  static const char* const presets[] = {"ultrafast", "superfast", "veryfast", "faster",
                                        "fast",      "medium",    "slow",     "slower",
                                        "veryslow",  "placebo"};
  return std::find(std::begin(presets), std::end(presets), name) != std::end(presets);
}

cv::Size even(cv::Size s) {
  return {s.width + (s.width & 1), s.height + (s.height & 1)};
}

// The data must be on disk before the rename makes it the target (as atomic_file does); avio
// gives no descriptor, but fsync on any descriptor of the file flushes the file.
bool sync_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  const bool ok = ::fsync(fd) == 0;
  return (::close(fd) == 0) && ok;
}

}  // namespace

struct video_writer::impl {
  fs::path target;
  fs::path partial;
  cv::Size size;
  cv::Size coded;  // size rounded up to even
  io_detail::output_clock clock;
  io_detail::codec_ptr encoder;
  output_ptr output;
  AVStream* stream = nullptr;
  io_detail::frame_ptr frame{av_frame_alloc()};
  io_detail::packet_ptr packet{av_packet_alloc()};
  io_detail::sws_ptr sws;
  cv::Mat scratch;  // padded BGR input for swscale, reused across frames
  int64_t written = 0;
  bool finished = false;
  bool failed = false;  // an earlier call threw: the file is unusable

  ~impl() { discard(); }

  [[nodiscard]] int64_t count() const { return static_cast<int64_t>(clock.pts.size()); }

  // Closes and removes the partial file (the target, if any, stays as it was).
  void discard() {
    output.reset();
    if (!finished && !partial.empty()) {
      std::error_code ignored;
      fs::remove(partial, ignored);
    }
  }

  void open_encoder(const video_writer_options& options) {
    const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
    if (codec == nullptr)
      fail(error_code::codec, target, "libav was built without the libx264 encoder");
    encoder.reset(avcodec_alloc_context3(codec));
    if (!encoder || !frame || !packet)
      fail(error_code::internal, target, "out of memory");
    AVCodecContext* enc = encoder.get();
    enc->width = coded.width;
    enc->height = coded.height;
    enc->pix_fmt = AV_PIX_FMT_YUV420P;
    enc->time_base = clock.time_base;
    enc->framerate = clock.frame_rate;
    enc->thread_count = options.encoder_threads;
    // What swscale's default BGR -> YUV conversion produces; tagged so players invert it.
    enc->colorspace = AVCOL_SPC_SMPTE170M;
    enc->color_range = AVCOL_RANGE_MPEG;
    if (output->oformat->flags & AVFMT_GLOBALHEADER)
      enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;  // MP4 keeps SPS/PPS in the avcC box
    av_opt_set(enc->priv_data, "preset", options.preset.c_str(), 0);
    av_opt_set_double(enc->priv_data, "crf", options.crf, 0);
    const int rc = avcodec_open2(enc, codec, nullptr);
    if (rc < 0) {
      fail(error_code::codec, target,
           "cannot open libx264 with preset '" + options.preset + "' (" +
               io_detail::av_error_text(rc) + ")");
    }
  }

  void open(const video_info& timing, const video_writer_options& options) {
    io_detail::silence_libav();
    coded = even(size);
    clock = io_detail::make_output_clock(timing);
    partial = target;
    partial += ".partial-" + std::to_string(::getpid()) + "-" + std::to_string(partial_counter++);
    // "file:" keeps a ':' in the name from being read as a protocol; the temp name has no
    // .mp4 extension, so the muxer is named rather than guessed.
    const std::string url = "file:" + partial.string();
    AVFormatContext* raw = nullptr;
    if (avformat_alloc_output_context2(&raw, av_guess_format("mp4", nullptr, nullptr), nullptr,
                                       url.c_str()) < 0) {
      fail(error_code::codec, target, "libav was built without the mp4 muxer");
    }
    output.reset(raw);
    open_encoder(options);

    stream = avformat_new_stream(raw, nullptr);
    if (stream == nullptr)
      fail(error_code::internal, target, "out of memory");
    stream->time_base = clock.time_base;  // a hint: the muxer picks its own timescale
    stream->avg_frame_rate = clock.frame_rate;
    int rc = avcodec_parameters_from_context(stream->codecpar, encoder.get());
    if (rc < 0)
      fail(error_code::internal, target, io_detail::av_error_text(rc));

    rc = avio_open(&raw->pb, url.c_str(), AVIO_FLAG_WRITE);
    if (rc < 0)
      fail(error_code::io, target,
           "cannot create " + partial.string() + " (" + io_detail::av_error_text(rc) + ")");
    AVDictionary* mux_options = nullptr;
    if (options.faststart)
      av_dict_set(&mux_options, "movflags", "+faststart", 0);
    rc = avformat_write_header(raw, &mux_options);
    av_dict_free(&mux_options);
    if (rc < 0)
      fail(error_code::io, target,
           "cannot write the header (" + io_detail::av_error_text(rc) + ")");

    frame->format = AV_PIX_FMT_YUV420P;
    frame->width = coded.width;
    frame->height = coded.height;
    if (av_frame_get_buffer(frame.get(), 0) < 0)
      fail(error_code::internal, target, "out of memory");
    // SWS_BICUBIC as in video_reader; defaults: BT.601 matrix, full-range RGB to limited YUV.
    sws.reset(sws_getContext(coded.width, coded.height, AV_PIX_FMT_BGR24, coded.width, coded.height,
                             AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr, nullptr, nullptr));
    if (!sws)
      fail(error_code::internal, target, "cannot set up the BGR to YUV conversion");
    // swscale's SIMD reads whole vectors: give every row (and one spare row) slack, as the
    // reader does for its output.
    scratch.create(coded.height + 1, (coded.width * 3 + 63) / 64 * 64, CV_8UC1);
  }

  // Moves every packet the encoder has ready into the file.
  void drain() {
    for (;;) {
      int rc = avcodec_receive_packet(encoder.get(), packet.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
        return;
      if (rc < 0)
        fail(error_code::codec, target, "encoding failed (" + io_detail::av_error_text(rc) + ")");
      // libx264 leaves durations unset; the muxer needs them for the last frame and the rate.
      packet->duration = clock.duration_at(packet->pts);
      packet->stream_index = stream->index;
      av_packet_rescale_ts(packet.get(), clock.time_base, stream->time_base);
      rc = av_interleaved_write_frame(output.get(), packet.get());
      if (rc < 0)
        fail(error_code::io, target, "write failed (" + io_detail::av_error_text(rc) + ")");
    }
  }

  void encode(const cv::Mat& bgr) {
    cv::Mat padded(coded, CV_8UC3, scratch.data, scratch.step);
    bgr.copyTo(padded(cv::Rect({0, 0}, size)));
    if (coded.width != size.width) {
      padded(cv::Rect(size.width - 1, 0, 1, size.height))
          .copyTo(padded(cv::Rect(size.width, 0, 1, size.height)));
    }
    if (coded.height != size.height)
      padded.row(size.height - 1).copyTo(padded.row(size.height));

    // The encoder may still hold the previous picture's buffer.
    if (av_frame_make_writable(frame.get()) < 0)
      fail(error_code::internal, target, "out of memory");
    const uint8_t* src[4] = {padded.data, nullptr, nullptr, nullptr};
    const int src_stride[4] = {static_cast<int>(padded.step), 0, 0, 0};
    sws_scale(sws.get(), src, src_stride, 0, coded.height, frame->data, frame->linesize);
    frame->pts = clock.pts[static_cast<size_t>(written)];
    const int rc = avcodec_send_frame(encoder.get(), frame.get());
    if (rc < 0) {
      fail(error_code::codec, target,
           "encoding frame " + std::to_string(written) + " failed (" +
               io_detail::av_error_text(rc) + ")");
    }
    drain();
  }

  void complete() {
    int rc = avcodec_send_frame(encoder.get(), nullptr);
    if (rc < 0)
      fail(error_code::codec, target, "flushing failed (" + io_detail::av_error_text(rc) + ")");
    drain();
    rc = av_write_trailer(output.get());
    if (rc < 0)
      fail(error_code::io, target, "cannot finish the file (" + io_detail::av_error_text(rc) + ")");
    avio_flush(output->pb);
    const int pending = output->pb->error;
    rc = avio_closep(&output->pb);
    if (pending < 0 || rc < 0) {
      fail(error_code::io, target,
           "write failed (" + io_detail::av_error_text(pending < 0 ? pending : rc) + ")");
    }
    output.reset();
    if (!sync_file(partial))
      fail(error_code::io, target, std::string("cannot sync ") + partial.string());
    std::error_code ec;
    fs::rename(partial, target, ec);
    if (ec)
      fail(error_code::io, target, "cannot rename " + partial.string() + " (" + ec.message() + ")");
  }
};

video_writer::video_writer(fs::path target, const video_info& timing, cv::Size size,
                           video_writer_options options)
    : impl_(std::make_unique<impl>()) {
  impl& s = *impl_;
  s.target = std::move(target);
  s.size = size;
  if (timing.frame_count() == 0)
    fail(error_code::invalid_argument, s.target, "the source's timing holds no frames");
  if (size.width <= 0 || size.height <= 0)
    fail(error_code::invalid_argument, s.target, "frame size must be positive");
  if (options.crf < 0 || options.crf > 51)
    fail(error_code::invalid_argument, s.target, "crf must be 0 to 51");
  if (!is_x264_preset(options.preset))
    fail(error_code::invalid_argument, s.target, "unknown x264 preset '" + options.preset + "'");
  if (options.encoder_threads < 0)
    fail(error_code::invalid_argument, s.target, "encoder_threads must be 0 or more");
  s.open(timing, options);  // on failure ~impl removes whatever it created
}

video_writer::~video_writer() = default;
video_writer::video_writer(video_writer&&) noexcept = default;
video_writer& video_writer::operator=(video_writer&&) noexcept = default;

void video_writer::write(const cv::Mat& bgr) {
  impl& s = *impl_;
  if (s.finished || s.failed)
    fail(error_code::invalid_argument, s.target, "write() after finish() or an error");
  s.failed = true;  // until this frame is in
  if (bgr.type() != CV_8UC3 || bgr.size() != s.size) {
    fail(error_code::invalid_argument, s.target,
         "frame " + std::to_string(s.written) + " is not 8-bit BGR of " +
             std::to_string(s.size.width) + "x" + std::to_string(s.size.height));
  }
  if (s.written >= s.count()) {
    fail(error_code::invalid_argument, s.target,
         "more frames than the source's " + std::to_string(s.count()));
  }
  s.encode(bgr);
  ++s.written;
  s.failed = false;
}

void video_writer::finish() {
  impl& s = *impl_;
  if (s.finished || s.failed)
    fail(error_code::invalid_argument, s.target, "finish() after finish() or an error");
  s.failed = true;
  if (s.written != s.count()) {
    s.discard();
    fail(error_code::invalid_argument, s.target,
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

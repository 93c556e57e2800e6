// segment_encoder: one segment's frames -> libx264 packets in memory. chunk_muxer: chunks, in
// segment order, -> one MP4 on the source's frame clock, without re-encoding.

#include "facemirror/io/segment_video.h"

#include <algorithm>
#include <optional>

#include "io/h264_encoder.h"
#include "io/mp4_output.h"
#include "io/output_clock.h"

namespace facemirror {
namespace {

namespace fs = std::filesystem;

std::string size_text(cv::Size s) {
  return std::to_string(s.width) + "x" + std::to_string(s.height);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// segment_encoder

struct segment_encoder::impl {
  std::string prefix;  // "cannot encode the segment at frame N: "
  cv::Size size;
  int64_t first_frame = 0;
  int64_t written = 0;
  cv::Size coded;
  std::optional<io_detail::h264_encoder> encoder;
  encoded_chunk chunk;
  bool done = false;  // finish() ran or a call threw: the encoder is unusable

  [[noreturn]] void fail(error_code code, const std::string& reason) const {
    throw error(code, prefix + reason);
  }

  // Copies every packet the encoder has ready into the chunk.
  void drain() {
    while (AVPacket* packet = encoder->receive()) {
      encoded_packet p;
      p.offset = static_cast<int64_t>(chunk.data.size());
      p.size = packet->size;
      p.frame = packet->pts;  // the encoder's clock counts frames from the video's start
      p.keyframe = (packet->flags & AV_PKT_FLAG_KEY) != 0;
      chunk.data.insert(chunk.data.end(), packet->data, packet->data + packet->size);
      chunk.packets.push_back(p);
    }
  }
};

segment_encoder::segment_encoder(cv::Size size, int64_t first_frame,
                                 segment_encoder_options options)
    : impl_(std::make_unique<impl>()) {
  impl& s = *impl_;
  s.prefix = "cannot encode the segment at frame " + std::to_string(first_frame) + ": ";
  s.size = size;
  s.first_frame = first_frame;
  if (first_frame < 0)
    s.fail(error_code::invalid_argument, "first frame must be 0 or more");
  if (size.width <= 0 || size.height <= 0)
    s.fail(error_code::invalid_argument, "frame size must be positive");
  if (options.crf < 0 || options.crf > 51)
    s.fail(error_code::invalid_argument, "crf must be 0 to 51");
  if (!io_detail::is_x264_preset(options.preset))
    s.fail(error_code::invalid_argument, "unknown x264 preset '" + options.preset + "'");
  if (!(options.frame_rate >= 0))
    s.fail(error_code::invalid_argument, "frame_rate must be 0 or more");
  if (options.keyframe_interval < 0)
    s.fail(error_code::invalid_argument, "keyframe_interval must be 0 or more");
  io_detail::silence_libav();

  io_detail::h264_settings settings;
  settings.size = size;
  settings.frame_rate = io_detail::rational_rate(options.frame_rate);
  if (settings.frame_rate.num <= 0)
    settings.frame_rate = {25, 1};
  settings.time_base = av_inv_q(settings.frame_rate);  // pts = frame index
  settings.crf = options.crf;
  settings.preset = options.preset;
  settings.threads = 1;           // reproducible bitstream
  settings.global_header = true;  // SPS/PPS once, in the chunk's extradata (MP4's avcC)
  settings.allow_b_frames = false;
  settings.keyframe_interval = options.keyframe_interval;
  settings.colour = options.colour;
  s.encoder.emplace(settings, s.prefix);

  const AVCodecContext* ctx = s.encoder->context();
  s.chunk.first_frame = first_frame;
  s.coded = s.encoder->coded_size();
  s.chunk.width = s.coded.width;
  s.chunk.height = s.coded.height;
  s.chunk.extradata.assign(ctx->extradata, ctx->extradata + ctx->extradata_size);
}

segment_encoder::~segment_encoder() = default;
segment_encoder::segment_encoder(segment_encoder&&) noexcept = default;
segment_encoder& segment_encoder::operator=(segment_encoder&&) noexcept = default;

void segment_encoder::write(const cv::Mat& bgr) {
  impl& s = *impl_;
  if (s.done)
    s.fail(error_code::invalid_argument, "write() after finish() or an error");
  s.done = true;  // until this frame is in
  const int64_t index = s.first_frame + s.written;
  if (bgr.type() != CV_8UC3 || bgr.size() != s.size) {
    s.fail(error_code::invalid_argument,
           "frame " + std::to_string(index) + " is not 8-bit BGR of " + size_text(s.size));
  }
  s.encoder->send(bgr, index);
  ++s.written;
  s.drain();
  s.done = false;
}

encoded_chunk segment_encoder::finish() {
  impl& s = *impl_;
  if (s.done)
    s.fail(error_code::invalid_argument, "finish() after finish() or an error");
  s.done = true;
  const int64_t sent = s.written;
  if (sent == 0)
    s.fail(error_code::invalid_argument, "no frames were written");
  s.encoder->send_end();
  s.drain();
  // x264 neither drops nor reorders frames with bf=0, and a fresh encoder starts with an IDR
  // frame: what the muxer relies on to join chunks.
  const auto& packets = s.chunk.packets;
  bool in_order = static_cast<int64_t>(packets.size()) == sent && packets.front().keyframe;
  for (size_t i = 0; in_order && i < packets.size(); ++i)
    in_order = packets[i].frame == s.first_frame + static_cast<int64_t>(i);
  if (!in_order)
    s.fail(error_code::internal, "libx264 returned packets out of frame order");
  s.encoder.reset();
  return std::move(s.chunk);
}

int64_t segment_encoder::frames_written() const {
  return impl_->written;
}

cv::Size segment_encoder::encoded_size() const {
  return impl_->coded;
}

// ---------------------------------------------------------------------------------------------
// chunk_muxer

struct chunk_muxer::impl {
  fs::path target;
  cv::Size coded;
  io_detail::output_clock clock;
  std::optional<io_detail::mp4_output> output;
  std::vector<uint8_t> extradata;  // the first chunk's; later chunks must match
  std::string comment;
  colour_description colour;  // the source's tags, as the chunks' encoders had them
  // The source's audio, copied at finish(): its input (the video stream discarded), stream
  // index, the output stream, and the source's first video frame in the audio's time base.
  std::optional<io_detail::opened_input> audio_input;
  int audio_index = -1;
  AVStream* audio_out = nullptr;
  int64_t audio_origin = 0;
  int64_t appended = 0;
  bool failed = false;  // a write threw or finish() ran: only destruction may follow

  [[nodiscard]] int64_t count() const { return static_cast<int64_t>(clock.pts.size()); }

  [[noreturn]] void fail(error_code code, const std::string& reason) const {
    io_detail::fail_write(code, target, reason);
  }

  // Everything append() requires of a chunk, checked before anything is written.
  void check(const encoded_chunk& chunk) const {
    const std::string which = "the segment at frame " + std::to_string(chunk.first_frame);
    if (chunk.first_frame != appended) {
      fail(
          error_code::invalid_argument,
          which + " is out of order: the next segment starts at frame " + std::to_string(appended));
    }
    if (chunk.packets.empty() || !chunk.packets.front().keyframe)
      fail(error_code::invalid_argument, which + " is empty or does not start with a key frame");
    if (chunk.end_frame() > count()) {
      fail(error_code::invalid_argument, which + " ends at frame " +
                                             std::to_string(chunk.end_frame()) +
                                             ", the source has " + std::to_string(count()));
    }
    if (cv::Size(chunk.width, chunk.height) != coded) {
      fail(error_code::invalid_argument, which + " is " + size_text({chunk.width, chunk.height}) +
                                             ", expected " + size_text(coded));
    }
    if (!extradata.empty() && chunk.extradata != extradata)
      fail(error_code::invalid_argument, which + " was encoded with other settings (SPS/PPS)");
    for (size_t i = 0; i < chunk.packets.size(); ++i) {
      const encoded_packet& p = chunk.packets[i];
      if (p.frame != chunk.first_frame + static_cast<int64_t>(i) || p.offset < 0 || p.size <= 0 ||
          static_cast<uint64_t>(p.offset) + static_cast<uint64_t>(p.size) > chunk.data.size()) {
        fail(error_code::invalid_argument, which + " has a bad packet table");
      }
    }
  }

  // The stream is described by the first chunk: the muxer needs the SPS/PPS before any packet.
  void write_header(const encoded_chunk& chunk) {
    AVCodecParameters* par = output->stream()->codecpar;
    par->codec_type = AVMEDIA_TYPE_VIDEO;
    par->codec_id = AV_CODEC_ID_H264;
    par->width = coded.width;
    par->height = coded.height;
    par->format = AV_PIX_FMT_YUV420P;
    par->color_space = static_cast<AVColorSpace>(colour.matrix);
    par->color_primaries = static_cast<AVColorPrimaries>(colour.primaries);
    par->color_trc = static_cast<AVColorTransferCharacteristic>(colour.transfer);
    par->color_range = io_detail::h264_color_range;
    par->extradata =
        static_cast<uint8_t*>(av_mallocz(chunk.extradata.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    if (par->extradata == nullptr)
      fail(error_code::internal, "out of memory");
    std::copy(chunk.extradata.begin(), chunk.extradata.end(), par->extradata);
    par->extradata_size = static_cast<int>(chunk.extradata.size());
    output->stream()->time_base = clock.time_base;  // a hint: the muxer picks its own timescale
    output->stream()->avg_frame_rate = clock.frame_rate;
    output->write_header(true, comment);
    extradata = chunk.extradata;
  }

  // Takes `source`'s container tags, and adds the output's audio stream when it has audio MP4
  // can hold (before the header).
  void plan_audio(const fs::path& source, const video_info& timing) {
    io_detail::opened_input input = io_detail::open_input(source);
    output->copy_tags(input.format->metadata);
    const int index =
        av_find_best_stream(input.format.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    if (index < 0)
      return;
    const AVStream* in = input.format->streams[index];
    if (!io_detail::mp4_output::takes_audio_codec(in->codecpar->codec_id))
      return;  // e.g. PCM from a camcorder's .mov: the upright copy goes without it
    audio_out = output->add_stream();
    if (avcodec_parameters_copy(audio_out->codecpar, in->codecpar) < 0)
      fail(error_code::internal, "out of memory");
    audio_out->codecpar->codec_tag = 0;  // the source container's tag may not be MP4's
    audio_out->time_base = in->time_base;
    const AVStream* video = input.stream();
    const double first_frame_s =
        timing.pts.empty() ? 0.0
                           : static_cast<double>(timing.pts.front()) * av_q2d(video->time_base);
    audio_origin = std::llround(first_frame_s / av_q2d(in->time_base));
    for (unsigned i = 0; i < input.format->nb_streams; ++i)
      input.format->streams[i]->discard =
          static_cast<int>(i) == index ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
    audio_index = index;
    audio_input = std::move(input);
  }

  // The source's audio packets after the output's video (MP4 needs no interleaving). Audio the
  // source cannot give (damaged) or the muxer refuses (a timestamp out of order) ends there:
  // the picture is the point. Packets whose times repeat or go back are left out.
  void copy_audio() {
    if (!audio_input)
      return;
    io_detail::packet_ptr packet(av_packet_alloc());
    if (!packet)
      fail(error_code::internal, "out of memory");
    const AVRational in_tb = audio_input->format->streams[audio_index]->time_base;
    int64_t last_dts = -1;
    while (av_read_frame(audio_input->format.get(), packet.get()) >= 0) {
      const int64_t pts = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
      const int64_t dts = packet->dts != AV_NOPTS_VALUE ? packet->dts : pts;
      const bool in_order =
          pts != AV_NOPTS_VALUE && pts >= audio_origin && dts - audio_origin > last_dts;
      if (packet->stream_index == audio_index && in_order) {
        packet->pts = pts - audio_origin;
        packet->dts = last_dts = dts - audio_origin;
        av_packet_rescale_ts(packet.get(), in_tb, audio_out->time_base);
        packet->pos = -1;
        if (!output->try_write_to(audio_out, packet.get()))
          break;
      }
      av_packet_unref(packet.get());
    }
  }

  void write(const encoded_chunk& chunk) {
    if (appended == 0)
      write_header(chunk);
    io_detail::packet_ptr packet(av_packet_alloc());
    if (!packet)
      fail(error_code::internal, "out of memory");
    for (const encoded_packet& p : chunk.packets) {
      // Not reference-counted: the muxer writes it straight through (one stream, no queue).
      packet->data = const_cast<uint8_t*>(chunk.data.data() + p.offset);
      packet->size = static_cast<int>(p.size);
      const auto i = static_cast<size_t>(p.frame);
      packet->pts = packet->dts = clock.pts[i];  // no B-frames: decode order is display order
      packet->duration = clock.duration[i];
      packet->flags = p.keyframe ? AV_PKT_FLAG_KEY : 0;
      av_packet_rescale_ts(packet.get(), clock.time_base, output->stream()->time_base);
      output->write(packet.get());
    }
    appended = chunk.end_frame();
  }
};

chunk_muxer::chunk_muxer(fs::path target, const video_info& timing, cv::Size size,
                         std::string comment, const fs::path& audio_from)
    : impl_(std::make_unique<impl>()) {
  impl& s = *impl_;
  s.target = std::move(target);
  s.comment = std::move(comment);
  s.colour = timing.colour;
  if (timing.frame_count() == 0)
    s.fail(error_code::invalid_argument, "the source's timing holds no frames");
  if (size.width <= 0 || size.height <= 0)
    s.fail(error_code::invalid_argument, "frame size must be positive");
  s.coded = io_detail::even_size(size);
  s.clock = io_detail::make_output_clock(timing);
  s.output.emplace(s.target);
  if (!audio_from.empty())
    s.plan_audio(audio_from, timing);
}

chunk_muxer::~chunk_muxer() = default;
chunk_muxer::chunk_muxer(chunk_muxer&&) noexcept = default;
chunk_muxer& chunk_muxer::operator=(chunk_muxer&&) noexcept = default;

void chunk_muxer::append(const encoded_chunk& chunk) {
  impl& s = *impl_;
  if (s.failed)
    s.fail(error_code::invalid_argument, "append() after finish() or a write error");
  s.check(chunk);
  s.failed = true;  // until the chunk is in
  s.write(chunk);
  s.failed = false;
}

void chunk_muxer::finish() {
  impl& s = *impl_;
  if (s.failed)
    s.fail(error_code::invalid_argument, "finish() after finish() or a write error");
  s.failed = true;
  if (s.appended != s.count()) {
    s.output->discard();
    s.fail(error_code::invalid_argument, "got " + std::to_string(s.appended) +
                                             " frames, the source has " +
                                             std::to_string(s.count()));
  }
  s.copy_audio();
  s.output->commit();
}

const fs::path& chunk_muxer::target() const {
  return impl_->target;
}

int64_t chunk_muxer::frames_appended() const {
  return impl_->appended;
}

}  // namespace facemirror

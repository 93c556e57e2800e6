// chunk_decoder: an encoded_chunk's packets -> BGR frames, as video_reader would decode them
// from the muxed file.

#include <algorithm>

#include "facemirror/io/segment_video.h"

#include "io/libav.h"

namespace facemirror {
namespace {

[[noreturn]] void decode_failed(int64_t frame, const std::string& reason) {
  throw error(error_code::codec, "cannot decode the encoded segment at frame " +
                                     std::to_string(frame) + ": " + reason);
}

}  // namespace

struct chunk_decoder::impl {
  io_detail::codec_ptr decoder;
  io_detail::packet_ptr packet{av_packet_alloc()};
  io_detail::frame_ptr frame{av_frame_alloc()};
  io_detail::bgr_converter bgr;
  int64_t first_frame = -1;  // of the chunk being decoded
  size_t packets_sent = 0;
  int64_t frames_out = 0;

  void open(const encoded_chunk& chunk) {
    io_detail::silence_libav();
    const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_H264);
    if (codec == nullptr)
      decode_failed(chunk.first_frame, "libav was built without an H.264 decoder");
    decoder.reset(avcodec_alloc_context3(codec));
    if (!decoder || !packet || !frame)
      decode_failed(chunk.first_frame, "out of memory");
    // The SPS/PPS, as the MP4's avcC will carry them (Annex B here; the decoder reads both).
    decoder->extradata =
        static_cast<uint8_t*>(av_mallocz(chunk.extradata.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    if (decoder->extradata == nullptr)
      decode_failed(chunk.first_frame, "out of memory");
    std::copy(chunk.extradata.begin(), chunk.extradata.end(), decoder->extradata);
    decoder->extradata_size = static_cast<int>(chunk.extradata.size());
    decoder->thread_count = 1;  // as video_reader's default; the output does not depend on it
    const int rc = avcodec_open2(decoder.get(), codec, nullptr);
    if (rc < 0)
      decode_failed(chunk.first_frame,
                    "cannot open the decoder (" + io_detail::av_error_text(rc) + ")");
    first_frame = chunk.first_frame;
    packets_sent = 0;
    frames_out = 0;
  }

  void collect(std::vector<video_frame>& out) {
    for (;;) {
      const int rc = avcodec_receive_frame(decoder.get(), frame.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
        return;
      const int64_t index = first_frame + frames_out;
      if (rc < 0)
        decode_failed(index, io_detail::av_error_text(rc));
      video_frame decoded{index, 0.0, {}};
      if (!bgr.convert(*frame, decoded.bgr))
        decode_failed(index, "unexpected pixel format");
      ++frames_out;
      out.push_back(std::move(decoded));
    }
  }
};

chunk_decoder::chunk_decoder() : impl_(std::make_unique<impl>()) {}
chunk_decoder::~chunk_decoder() = default;
chunk_decoder::chunk_decoder(chunk_decoder&&) noexcept = default;
chunk_decoder& chunk_decoder::operator=(chunk_decoder&&) noexcept = default;

std::vector<video_frame> chunk_decoder::decode_new(const encoded_chunk& chunk) {
  impl& s = *impl_;
  if (!s.decoder || s.first_frame != chunk.first_frame)
    s.open(chunk);
  std::vector<video_frame> out;
  for (; s.packets_sent < chunk.packets.size(); ++s.packets_sent) {
    const encoded_packet& p = chunk.packets[s.packets_sent];
    // Copied into a packet of its own: the decoder reads into zeroed padding past the end,
    // which the chunk's buffer cannot promise.
    if (av_new_packet(s.packet.get(), static_cast<int>(p.size)) < 0)
      decode_failed(p.frame, "out of memory");
    std::copy_n(chunk.data.data() + p.offset, p.size, s.packet->data);
    s.packet->pts = s.packet->dts = p.frame;
    if (p.keyframe)
      s.packet->flags |= AV_PKT_FLAG_KEY;
    const int rc = avcodec_send_packet(s.decoder.get(), s.packet.get());
    av_packet_unref(s.packet.get());
    if (rc < 0)
      decode_failed(p.frame, io_detail::av_error_text(rc));
    s.collect(out);
  }
  return out;
}

std::vector<video_frame> chunk_decoder::drain() {
  impl& s = *impl_;
  std::vector<video_frame> out;
  if (!s.decoder)
    return out;
  avcodec_send_packet(s.decoder.get(), nullptr);
  s.collect(out);
  s.decoder.reset();
  return out;
}

}  // namespace facemirror

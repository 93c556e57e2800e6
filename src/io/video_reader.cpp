// video_reader: decoding with exact frame indices. Every decoded frame is placed in the probe's
// table by its PTS, so a seek lands on the same frame (and pixels) a sequential read would.

#include "facemirror/io/video_reader.h"

#include <algorithm>
#include <deque>
#include <string>

#include <opencv2/imgproc.hpp>

#include "facemirror/io/image_reader.h"

#include "io/libav.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace facemirror {

using io_detail::fail;

struct video_reader::impl {
  video_info info;
  video_reader_options options;
  io_detail::opened_input input;
  io_detail::codec_ptr decoder;
  io_detail::packet_ptr packet{av_packet_alloc()};
  io_detail::frame_ptr frame{av_frame_alloc()};
  io_detail::bgr_converter bgr;

  bool flushing = false;  // the demuxer hit EOF and the decoder was told to drain
  bool finished = false;  // read() has returned the end of the stream
  // Index of the next frame the decoder will emit; -1 right after a container seek, until the
  // first frame's PTS places it.
  int64_t next = 0;
  int64_t target = 0;       // read() drops decoded frames before this index
  bool after_seek = false;  // positioned by a container seek and target not yet reached
  bool skipped = false;     // a frame before the target was not decoded (see feed)
  // A decoded frame waiting in `frame` while read() hands out the frames before it that the
  // decoder lost (as black frames); -1 when none waits.
  int64_t held = -1;

  // Frames a threaded reader received ahead of read() (look_ahead), in presentation order.
  std::deque<io_detail::frame_ptr> ahead;

  // Whether the decoder runs more than one thread (video_reader_options); damaged data then
  // throws. Only where the decoder marks the frames it patched (the error concealment of H.264
  // and the MPEG video decoders), since only then can a reader stop before the threads' race
  // reaches a frame: HEVC's marks nothing, and a damaged HEVC clip, threaded, gave another CSV
  // in one of about a dozen runs on a loaded machine.
  bool threaded() const {
    if (options.decoder_threads == 1 || info.reorder_depth < 0 || !input.format)
      return false;
    switch (input.stream()->codecpar->codec_id) {
      case AV_CODEC_ID_H264:
      case AV_CODEC_ID_MPEG4:
      case AV_CODEC_ID_MPEG2VIDEO:
      case AV_CODEC_ID_MPEG1VIDEO:
        return true;
      default:
        return false;
    }
  }

  void met_damage() const {
    if (threaded())
      throw damaged_for_threads(info.path);
  }

  static bool damaged(const AVFrame& f) {
    return (f.flags & AV_FRAME_FLAG_CORRUPT) != 0 || f.decode_error_flags != 0;
  }
  bool frame_damaged() const { return damaged(*frame); }

  // (Re)opens the file and decodes from its first frame: always correct, never fastest.
  void restart() {
    decoder.reset();
    input = io_detail::open_input(info.path);
    decoder = io_detail::open_decoder(input, threaded() ? options.decoder_threads : 1);
    flushing = finished = after_seek = skipped = false;
    next = 0;
    held = -1;
    ahead.clear();
  }

  void container_seek(int64_t keyframe) {
    // BACKWARD: land on a key frame at or before the one asked for, whichever timestamp
    // (PTS or DTS) the demuxer's index uses; read() restarts if it still overshoots.
    const int rc = av_seek_frame(input.format.get(), input.stream_index,
                                 info.pts[static_cast<size_t>(keyframe)], AVSEEK_FLAG_BACKWARD);
    if (rc < 0)
      return restart();
    avcodec_flush_buffers(decoder.get());
    flushing = finished = skipped = false;
    next = -1;
    held = -1;
    ahead.clear();
    after_seek = true;
  }

  int64_t keyframe_at_or_before(int64_t index) const {
    const auto& keys = info.keyframe_indices;
    auto it = std::upper_bound(keys.begin(), keys.end(), index);
    return it == keys.begin() ? -1 : *std::prev(it);
  }

  // Position of a decoded frame's timestamp in the table, -1 if it is not there.
  int64_t index_of(int64_t ts) const {
    if (ts == AV_NOPTS_VALUE)
      return -1;
    auto it = std::lower_bound(info.pts.begin(), info.pts.end(), ts);
    return it != info.pts.end() && *it == ts ? it - info.pts.begin() : -1;
  }

  std::string near_frame() const {
    return next >= 0 ? " at frame " + std::to_string(next + 1) : " after a seek";
  }

  // Sends the next packet of our stream to the decoder, or the drain signal at EOF.
  void feed() {
    for (;;) {
      int rc = av_read_frame(input.format.get(), packet.get());
      if (rc == AVERROR_EOF) {
        avcodec_send_packet(decoder.get(), nullptr);
        flushing = true;
        return;
      }
      if (rc < 0)
        fail(error_code::codec, info.path, "demux error" + near_frame());
      if (packet->stream_index != input.stream_index) {
        av_packet_unref(packet.get());
        continue;
      }
      // On the way to the target (after a seek, or a segment's warm-up), frames before it are
      // decoded only as references for those after it: a frame nothing refers to (a
      // non-reference B-frame) need not be decoded at all. The frames from the target on are
      // the same either way; at 4K a pre-roll of 100 frames cost a worker ~3 s.
      const int64_t shown_at = index_of(packet->pts);
      const bool before_target = shown_at >= 0 && shown_at < target;
      decoder->skip_frame = before_target ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
      skipped = skipped || before_target;
      rc = avcodec_send_packet(decoder.get(), packet.get());
      av_packet_unref(packet.get());
      // Damaged data loses this frame, or is concealed in it; read() says which, as ffmpeg and
      // OpenCV (OpenFace's reader) decode on past it. The probe refused truncated packets.
      if (rc == AVERROR_INVALIDDATA)
        met_damage();
      if (rc < 0 && rc != AVERROR_INVALIDDATA) {
        fail(error_code::codec, info.path,
             "decode error" + near_frame() + " (" + io_detail::av_error_text(rc) + ")");
      }
      return;
    }
  }

  // Next decoded frame into `frame`; false once the decoder is drained.
  bool receive() {
    if (!ahead.empty()) {
      av_frame_unref(frame.get());
      av_frame_move_ref(frame.get(), ahead.front().get());
      ahead.pop_front();
      return true;
    }
    return decode_into(*frame);
  }

  // Before a threaded reader returns frame `index` of a reordering stream: the frames decoded
  // before it but shown after it (at most reorder_depth places on) may be its references, and
  // the frame threads may be patching them over still; receive them, so that damage in any of
  // them throws first. They wait in `ahead` for read().
  void look_ahead(int64_t index) {
    if (!threaded() || info.reorder_depth <= 0)
      return;
    int64_t seen = index;
    for (const auto& f : ahead)
      seen = std::max(seen, index_of(f->best_effort_timestamp));
    while (seen < index + info.reorder_depth) {
      io_detail::frame_ptr f(av_frame_alloc());
      if (!decode_into(*f))
        return;  // the end: read() finds it too
      const int64_t place = index_of(f->best_effort_timestamp);
      if (damaged(*f) || place > seen + 1)  // patched over, or a frame lost before it
        met_damage();
      seen = place < 0 ? seen + 1 : std::max(seen, place);
      ahead.push_back(std::move(f));
    }
  }

  // Next frame the decoder gives, into `out`; false once it is drained.
  bool decode_into(AVFrame& out) {
    for (;;) {
      const int rc = avcodec_receive_frame(decoder.get(), &out);
      if (rc == 0)
        return true;
      if (rc == AVERROR_EOF)
        return false;
      if (rc == AVERROR_INVALIDDATA) {  // a frame lost to damaged data (frame threading reports
        met_damage();                   // it here, a frame late): the next one may be whole
        continue;
      }
      if (rc != AVERROR(EAGAIN) || flushing) {
        fail(error_code::codec, info.path,
             "decode error" + near_frame() + " (" + io_detail::av_error_text(rc) + ")");
      }
      feed();
    }
  }

  // The next image of a frame folder, as it is: OpenFace 2.2 reads -fdir's images one by one,
  // so they may differ in size (the camera stays the first image's: video_info's size).
  std::optional<video_frame> read_frame_file() {
    if (finished || next >= info.frame_count()) {
      finished = true;
      return std::nullopt;
    }
    const std::filesystem::path& file = info.frame_files[static_cast<size_t>(next)];
    cv::Mat image = read_image(file);
    const int64_t index = next++;
    return video_frame{index, info.timestamps_s[static_cast<size_t>(index)], std::move(image)};
  }

  // A file cut inside its last packet (ASF, whose header the probe cannot check) reads as
  // damage at its end: what was mid-file damage is, at the end, the file's truncation.
  [[noreturn]] void fail_truncated(int64_t index) const {
    fail(error_code::codec, info.path,
         "decoding stopped at frame " + std::to_string(index + 1) + " of " +
             std::to_string(info.frame_count()) + "; the file is truncated or corrupt");
  }

  video_frame decoded_frame(int64_t index) {
    after_seek = skipped = false;
    const bool damaged = frame_damaged();
    if (damaged && index + 1 == info.frame_count())
      fail_truncated(index);
    look_ahead(index);
    return video_frame{index, info.timestamps_s[static_cast<size_t>(index)], to_bgr(),
                       damaged ? frame_damage::concealed : frame_damage::none};
  }

  video_frame missing_frame(int64_t index) {
    after_seek = skipped = false;
    return video_frame{index, info.timestamps_s[static_cast<size_t>(index)],
                       cv::Mat::zeros(info.height, info.width, CV_8UC3), frame_damage::missing};
  }

  cv::Mat to_bgr() {
    const AVCodecParameters* par = input.stream()->codecpar;
    const int w = frame->width;
    const int h = frame->height;
    if (w != par->width || h != par->height) {
      fail(error_code::codec, info.path,
           "frame size changes mid-stream (" + std::to_string(par->width) + "x" +
               std::to_string(par->height) + " to " + std::to_string(w) + "x" + std::to_string(h) +
               "), which is not supported");
    }
    cv::Mat converted;
    if (!bgr.convert(*frame, converted)) {
      fail(error_code::codec, info.path,
           std::string("unsupported pixel format ") +
               av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame->format)));
    }
    if (!info.reoriented())
      return converted;
    cv::Mat out = converted;
    if (info.rotation_deg != 0)
      cv::rotate(converted, out,
                 info.rotation_deg == 90    ? cv::ROTATE_90_CLOCKWISE
                 : info.rotation_deg == 180 ? cv::ROTATE_180
                                            : cv::ROTATE_90_COUNTERCLOCKWISE);
    if (info.flipped) {
      cv::Mat mirrored;
      cv::flip(out, mirrored, 1);
      return mirrored;
    }
    return out;
  }
};

video_reader::video_reader(video_info info, video_reader_options options)
    : impl_(std::make_unique<impl>()) {
  if (info.frame_count() == 0) {
    throw error(error_code::invalid_argument,
                "video_reader needs the video_info of a probed video: " + info.path.string());
  }
  impl_->info = std::move(info);
  impl_->options = options;
  if (impl_->info.frame_files.empty())
    impl_->restart();
}

video_reader::~video_reader() = default;
video_reader::video_reader(video_reader&&) noexcept = default;
video_reader& video_reader::operator=(video_reader&&) noexcept = default;

const video_info& video_reader::info() const {
  return impl_->info;
}

void video_reader::seek(int64_t index) {
  impl& s = *impl_;
  const int64_t count = s.info.frame_count();
  if (index < 0 || index > count) {
    throw error(error_code::invalid_argument, "seek to frame " + std::to_string(index) + " of " +
                                                  std::to_string(count) + " in " +
                                                  s.info.path.string());
  }
  s.target = index;
  if (index == count) {
    s.finished = true;
    return;
  }
  if (!s.info.frame_files.empty()) {  // every image of a frame folder is a key frame
    s.finished = false;
    s.next = index;
    return;
  }
  const int64_t key = s.keyframe_at_or_before(index);
  // Decoding forward is cheaper than seeking when no key frame lies between here and there.
  // Not past frames looked ahead at: those were decoded whole, where a seek to `index` would
  // skip the ones nothing refers to, and damaged data may refer to any picture the decoder
  // holds (whole data never does).
  const bool walk = !s.finished && !s.flushing && s.next >= 0 && s.next <= index && key <= s.next &&
                    s.ahead.empty();
  if (walk)
    return;
  s.finished = false;
  if (key <= 0 || s.info.pts.empty())
    return s.restart();
  s.container_seek(key);
}

std::optional<video_frame> video_reader::read() {
  impl& s = *impl_;
  const int64_t count = s.info.frame_count();
  if (!s.info.frame_files.empty())
    return s.read_frame_file();
  while (!s.finished) {
    if (s.held >= 0) {  // frames the decoder lost come out black, then the one that waited
      const int64_t index = s.next++;
      if (index == s.held)
        s.held = -1;
      if (index < s.target)
        continue;
      s.target = index + 1;
      return s.held >= 0 ? s.missing_frame(index) : s.decoded_frame(index);
    }
    if (!s.receive()) {
      if (s.next < 0) {  // a seek that landed at the very end: decode from the start instead
        s.restart();
        continue;
      }
      s.finished = true;
      if (s.next < count)
        s.fail_truncated(s.next);
      break;
    }
    // Also a frame before the target: those after it may refer to it.
    if (s.frame_damaged())
      s.met_damage();
    const int64_t mapped = s.index_of(s.frame->best_effort_timestamp);
    if (s.next < 0) {
      // First frame after a container seek: its PTS says where we are. If it cannot, or the
      // seek went past the target, only a decode from the start gives the right frames.
      if (mapped < 0 || mapped > s.target) {
        s.restart();
        continue;
      }
      s.next = mapped;
    } else if (mapped > s.next) {
      // Frames before the target may be missing after a seek (leading frames of an open GOP)
      // or when feed() skipped them; any other gap is frames the decoder lost, owed a row each.
      if (s.after_seek || s.skipped)
        s.next = std::min(mapped, std::max(s.next, s.target));
      if (mapped > s.next) {
        s.met_damage();
        s.held = mapped;
        continue;
      }
    }
    // mapped == next, or no usable PTS (missing, duplicated): decode order decides.
    const int64_t index = s.next++;
    if (index >= count) {
      fail(error_code::codec, s.info.path,
           "decoder produced more frames than the container lists (" + std::to_string(count) + ")");
    }
    if (index < s.target)
      continue;
    s.target = index + 1;
    return s.decoded_frame(index);
  }
  return std::nullopt;
}

}  // namespace facemirror

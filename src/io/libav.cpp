#include "io/libav.h"

extern "C" {
#include <libavutil/log.h>
}

#include <mutex>
#include <system_error>

namespace facemirror::io_detail {
namespace fs = std::filesystem;

void silence_libav() {
  // libav prints its own diagnostics to stderr (e.g. "moov atom not found"); the user should
  // see exactly one line, ours. This is process-wide by libav's design.
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_QUIET); });
}

namespace {

void check_file(const fs::path& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  // A link that loops, a folder denied; a path through a file ("a.mp4/x") is just missing.
  if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
    fail(error_code::io, path, ec.message());
  if (!fs::exists(status))
    fail(error_code::io, path, "no such file");
  if (!fs::is_regular_file(status))
    fail(error_code::io, path, "not a regular file");
  if (fs::file_size(path, ec) == 0)
    fail(error_code::io, path, "file is empty");
}

}  // namespace

std::string av_error_text(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

void fail(error_code code, const fs::path& path, const std::string& reason) {
  throw error(code, "cannot read video " + path.string() + ": " + reason);
}

opened_input open_input(const fs::path& path) {
  silence_libav();
  check_file(path);

  opened_input input;
  AVFormatContext* raw = nullptr;
  int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (rc < 0) {
    // An unreadable file is an io problem; anything libav cannot parse is a codec problem.
    if (rc == AVERROR(EACCES) || rc == AVERROR(EIO))
      fail(error_code::io, path, av_error_text(rc));
    fail(error_code::codec, path, "not a video file or truncated (" + av_error_text(rc) + ")");
  }
  input.format.reset(raw);

  // Needed for frame rates and codec parameters some containers (ASF) only learn from packets;
  // it may decode a handful of frames, which is header sizing, not the frame table.
  rc = avformat_find_stream_info(raw, nullptr);
  if (rc < 0)
    fail(error_code::codec, path, "cannot read stream info (" + av_error_text(rc) + ")");

  for (unsigned i = 0; i < raw->nb_streams; ++i) {
    const AVStream* st = raw->streams[i];
    // Cover art is a "video" stream of one still image: not a video.
    if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
        !(st->disposition & AV_DISPOSITION_ATTACHED_PIC) && input.stream_index < 0) {
      input.stream_index = static_cast<int>(i);
    }
  }
  if (input.stream_index < 0)
    fail(error_code::codec, path, "no video stream");
  for (unsigned i = 0; i < raw->nb_streams; ++i) {
    if (static_cast<int>(i) != input.stream_index)
      raw->streams[i]->discard = AVDISCARD_ALL;
  }

  const AVCodecParameters* par = input.stream()->codecpar;
  if (avcodec_find_decoder(par->codec_id) == nullptr) {
    fail(error_code::codec, path,
         std::string("no decoder for codec ") + avcodec_get_name(par->codec_id));
  }
  if (par->width <= 0 || par->height <= 0)
    fail(error_code::codec, path, "unknown frame size");
  return input;
}

codec_ptr open_decoder(const opened_input& input, int threads) {
  const fs::path path(input.format->url);
  const AVCodecParameters* par = input.stream()->codecpar;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  codec_ptr ctx(avcodec_alloc_context3(codec));
  if (!ctx)
    fail(error_code::internal, path, "out of memory allocating a decoder");
  int rc = avcodec_parameters_to_context(ctx.get(), par);
  if (rc < 0)
    fail(error_code::codec, path, "bad codec parameters (" + av_error_text(rc) + ")");
  ctx->thread_count = threads;
  ctx->pkt_timebase = input.stream()->time_base;
  rc = avcodec_open2(ctx.get(), codec, nullptr);
  if (rc < 0) {
    fail(error_code::codec, path,
         std::string("cannot open ") + codec->name + " decoder (" + av_error_text(rc) + ")");
  }
  return ctx;
}

bool bgr_converter::convert(const AVFrame& frame, cv::Mat& out) {
  const int w = frame.width;
  const int h = frame.height;
  sws_.reset(sws_getCachedContext(sws_.release(), w, h, static_cast<AVPixelFormat>(frame.format), w,
                                  h, AV_PIX_FMT_BGR24, SWS_BICUBIC, nullptr, nullptr, nullptr));
  if (!sws_)
    return false;
  // swscale's SIMD paths write past the end of rows whose stride is not a multiple of the
  // vector size (a 1080-wide BGR row is 3240 bytes and corrupted the heap), so it writes into a
  // buffer with padded rows and a spare row.
  const int row = w * 3;
  const int stride = (row + 63) / 64 * 64;
  // The buffer is reused once the caller has let go of the frame it held (only we hold it
  // now): at 4K a fresh 35 MB frame cost a copy and page faults on every pixel.
  // (The count is read atomically, as OpenCV changes it; a new Mat, not create(), which would
  // keep a still-shared buffer of the same size.)
  if (buffer_.rows != h + 1 || buffer_.cols != stride || CV_XADD(&buffer_.u->refcount, 0) != 1)
    buffer_ = cv::Mat(h + 1, stride, CV_8UC1);
  uint8_t* dst[4] = {buffer_.data, nullptr, nullptr, nullptr};
  int dst_stride[4] = {static_cast<int>(buffer_.step), 0, 0, 0};
  sws_scale(sws_.get(), frame.data, frame.linesize, 0, h, dst, dst_stride);
  const cv::Mat picture = buffer_(cv::Rect(0, 0, row, h)).reshape(3);
  if (stride == row) {
    out = picture;  // continuous: the caller shares the buffer
    return true;
  }
  picture.copyTo(out);  // padded rows: a continuous copy, and the buffer stays ours
  return true;
}

}  // namespace facemirror::io_detail

#include "io/mp4_output.h"

#include <string>
#include <system_error>

#include "core/partial_path.h"
#include <fcntl.h>
#include <unistd.h>

namespace facemirror::io_detail {
namespace {

namespace fs = std::filesystem;

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

void fail_write(error_code code, const fs::path& target, const std::string& reason) {
  throw error(code, "cannot write video " + target.string() + ": " + reason);
}

void mp4_output::output_closer::operator()(AVFormatContext* p) const {
  if (p->pb != nullptr)
    avio_closep(&p->pb);
  avformat_free_context(p);
}

mp4_output::mp4_output(fs::path target) : target_(std::move(target)) {
  silence_libav();
  partial_ = detail::partial_path(target_);
  // "file:" keeps a ':' in the name from being read as a protocol; the temp name has no .mp4
  // extension, so the muxer is named rather than guessed.
  const std::string url = "file:" + partial_.string();
  AVFormatContext* raw = nullptr;
  if (avformat_alloc_output_context2(&raw, av_guess_format("mp4", nullptr, nullptr), nullptr,
                                     url.c_str()) < 0) {
    fail(error_code::codec, "libav was built without the mp4 muxer");
  }
  output_.reset(raw);
  stream_ = avformat_new_stream(raw, nullptr);
  if (stream_ == nullptr)
    fail(error_code::internal, "out of memory");
  const int rc = avio_open(&raw->pb, url.c_str(), AVIO_FLAG_WRITE);
  if (rc < 0)
    fail(error_code::io, "cannot create " + partial_.string() + " (" + av_error_text(rc) + ")");
}

mp4_output::~mp4_output() {
  discard();
}

bool mp4_output::wants_global_header() const {
  return (output_->oformat->flags & AVFMT_GLOBALHEADER) != 0;
}

void mp4_output::write_header(bool faststart, const std::string& comment) {
  if (!comment.empty())
    av_dict_set(&output_->metadata, "comment", comment.c_str(), 0);
  AVDictionary* options = nullptr;
  if (faststart)
    av_dict_set(&options, "movflags", "+faststart", 0);
  const int rc = avformat_write_header(output_.get(), &options);
  av_dict_free(&options);
  if (rc < 0)
    fail(error_code::io, "cannot write the header (" + av_error_text(rc) + ")");
}

void mp4_output::copy_tags(const AVDictionary* tags) {
  const AVDictionaryEntry* tag = nullptr;
  while ((tag = av_dict_get(tags, "", tag, AV_DICT_IGNORE_SUFFIX)) != nullptr) {
    if (std::string(tag->key) != "comment" &&
        av_dict_set(&output_->metadata, tag->key, tag->value, 0) < 0)
      fail(error_code::internal, "out of memory");
  }
}

AVStream* mp4_output::add_stream() {
  AVStream* added = avformat_new_stream(output_.get(), nullptr);
  if (added == nullptr)
    fail(error_code::internal, "out of memory");
  return added;
}

bool mp4_output::takes_audio_codec(AVCodecID codec) {
  switch (codec) {
    case AV_CODEC_ID_AAC:
    case AV_CODEC_ID_MP3:
    case AV_CODEC_ID_AC3:
    case AV_CODEC_ID_EAC3:
    case AV_CODEC_ID_ALAC:
    case AV_CODEC_ID_OPUS:  // Android's and WhatsApp's
      return true;
    default:
      return false;
  }
}

bool mp4_output::try_write_to(AVStream* stream, AVPacket* packet) {
  packet->stream_index = stream->index;
  return av_write_frame(output_.get(), packet) >= 0;
}

void mp4_output::write(AVPacket* packet) {
  write_to(stream_, packet);
}

void mp4_output::write_to(AVStream* stream, AVPacket* packet) {
  packet->stream_index = stream->index;
  const int rc = av_write_frame(output_.get(), packet);
  if (rc < 0)
    fail(error_code::io, "write failed (" + av_error_text(rc) + ")");
}

void mp4_output::commit() {
  int rc = av_write_trailer(output_.get());
  if (rc < 0)
    fail(error_code::io, "cannot finish the file (" + av_error_text(rc) + ")");
  avio_flush(output_->pb);
  const int pending = output_->pb->error;
  rc = avio_closep(&output_->pb);
  if (pending < 0 || rc < 0)
    fail(error_code::io, "write failed (" + av_error_text(pending < 0 ? pending : rc) + ")");
  output_.reset();
  if (!sync_file(partial_))
    fail(error_code::io, "cannot sync " + partial_.string());
  std::error_code ec;
  fs::rename(partial_, target_, ec);
  if (ec)
    fail(error_code::io, "cannot rename " + partial_.string() + " (" + ec.message() + ")");
  committed_ = true;
}

void mp4_output::discard() {
  output_.reset();
  if (!committed_ && !partial_.empty()) {
    std::error_code ignored;
    fs::remove(partial_, ignored);
  }
}

}  // namespace facemirror::io_detail

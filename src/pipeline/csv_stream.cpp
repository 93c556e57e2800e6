#include "csv_stream.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "facemirror/error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace facemirror::detail {
namespace {

[[noreturn]] void spill_failed() {
  throw error(error_code::io, std::string("cannot use a temporary file: ") + std::strerror(errno));
}

// A file without a name in $TMPDIR (a batch system's per-job scratch), else /tmp, gone when
// closed or when the process dies (std::tmpfile() ignores TMPDIR).
std::FILE* anonymous_temporary_file() {
  const char* from_environment = std::getenv("TMPDIR");
  const bool given = from_environment != nullptr && *from_environment != '\0';
  const std::string dir = given ? from_environment : "/tmp";
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // A filesystem without O_TMPFILE: a named file, unlinked at once.
    std::string name = dir + "/facemirror-rows-XXXXXX";
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0)
      ::unlink(name.c_str());
  }
  std::FILE* file = fd < 0 ? nullptr : ::fdopen(fd, "w+b");
  if (file == nullptr) {
    const int reason = errno;
    if (fd >= 0)
      ::close(fd);
    throw error(error_code::io, "cannot make a temporary file in '" + dir + "'" +
                                    (given ? " ($TMPDIR)" : "") + ": " + std::strerror(reason));
  }
  return file;
}

}  // namespace

csv_stream::csv_stream(const analysis_models& models, const csv_outputs& outputs, int frame_stride)
    : frame_stride_(frame_stride) {
  columns_.outputs = outputs;
  columns_.mode_count = models.pdm->mode_count();
  if (models.aus) {
    predictor_ = std::make_unique<au_video_predictor>(models.aus);
    columns_.au_intensity_names = models.aus->intensity_names();
    columns_.au_presence_names = models.aus->presence_names();
  }
  spill_ = anonymous_temporary_file();
}

csv_stream::~csv_stream() {
  if (spill_ != nullptr)
    std::fclose(spill_);
}

void csv_stream::add(analysed_frame& frame) {
  FACEMIRROR_CHECK(frame.record.index == frames_ * frame_stride_,
                   "frames reached the in-order stage out of order");
  if (predictor_)
    predictor_->add_frame(*frame.features);
  // The AU columns come last and are filled in by write_to(); format the rest now.
  row_.clear();
  csv_columns fixed = columns_;
  fixed.au_intensity_names.clear();
  fixed.au_presence_names.clear();
  frame.record.au_intensity.clear();
  frame.record.au_presence.clear();
  append_csv_row(row_, frame.record, fixed);
  row_.pop_back();  // the newline; AU values follow
  const uint32_t size = static_cast<uint32_t>(row_.size());
  if (std::fwrite(&size, sizeof(size), 1, spill_) != 1 ||
      std::fwrite(row_.data(), 1, row_.size(), spill_) != row_.size()) {
    spill_failed();
  }
  ++frames_;
}

void csv_stream::write_to(atomic_file& out) {
  std::vector<au_values> aus;
  if (predictor_) {
    aus = predictor_->finish();
    FACEMIRROR_CHECK(static_cast<int64_t>(aus.size()) == frames_,
                     "AU predictor returned the wrong frame count");
  }
  out.write(csv_header(columns_));
  if (std::fseek(spill_, 0, SEEK_SET) != 0)
    spill_failed();
  std::string chunk;
  for (int64_t i = 0; i < frames_; ++i) {
    uint32_t size = 0;
    if (std::fread(&size, sizeof(size), 1, spill_) != 1)
      spill_failed();
    row_.resize(size);
    if (std::fread(row_.data(), 1, size, spill_) != size)
      spill_failed();
    frame_record au_only;
    if (predictor_) {
      au_only.au_intensity = std::move(aus[static_cast<size_t>(i)].intensity);
      au_only.au_presence = std::move(aus[static_cast<size_t>(i)].presence);
    }
    append_au_columns(row_, au_only, columns_);
    row_.push_back('\n');
    chunk += row_;
    if (chunk.size() > (1 << 20)) {
      out.write(chunk);
      chunk.clear();
    }
  }
  out.write(chunk);
}

}  // namespace facemirror::detail

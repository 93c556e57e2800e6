#include "core/model_file.h"

#include <utility>

#include "facemirror/error.h"

#include "core/file_bytes.h"

namespace facemirror::detail {

model_file::model_file(const std::filesystem::path& file) : file_(file) {
  auto bytes = read_file_bytes(file);
  if (!bytes)
    fail("cannot open");
  data_ = std::move(*bytes);  // shorter than its size if it shrank: read as truncated
}

void model_file::fail(const std::string& why) const {
  throw error(error_code::model_format, file_.string() + ": " + why);
}

void model_file::take(void* out, size_t bytes, const char* what) {
  if (remaining() < bytes)
    fail(std::string("truncated while reading ") + what);
  if (bytes > 0)
    std::memcpy(out, data_.data() + pos_, bytes);
  pos_ += bytes;
}

cv::Mat model_file::mat_as_stored(const char* what) {
  const int rows = i32(what), cols = i32(what), type = i32(what);
  // 10 million elements is far above any OpenFace model and far below a garbage header's size.
  if (rows < 0 || cols < 0 || (cols > 0 && rows > 10'000'000 / cols))
    fail(std::string(what) + ": bad matrix size");
  if (type != CV_8U && type != CV_32S && type != CV_32F && type != CV_64F)
    fail(std::string(what) + ": unsupported matrix type " + std::to_string(type));
  const size_t bytes = static_cast<size_t>(rows) * cols * CV_ELEM_SIZE(type);
  // Checked before allocating: a corrupt header must not cost a matrix the file cannot fill.
  if (remaining() < bytes)
    fail(std::string("truncated while reading ") + what);
  cv::Mat m(rows, cols, type);
  take(m.data, bytes, what);
  return m;
}

cv::Mat_<double> model_file::mat(const char* what) {
  cv::Mat_<double> m;
  mat_as_stored(what).convertTo(m, CV_64F);
  return m;
}

}  // namespace facemirror::detail

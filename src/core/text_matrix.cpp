#include "core/text_matrix.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "facemirror/error.h"

#include "core/file_bytes.h"

namespace facemirror::detail {

text_matrix_reader::text_matrix_reader(const std::filesystem::path& file, const char* kind)
    : file_(file) {
  const std::optional<std::string> text = read_file_bytes(file);
  if (!text)
    fail(std::string("cannot open ") + kind + " file");
  // Drop comment lines once, so the rest is a plain token stream.
  body_.reserve(text->size());
  size_t start = 0;
  while (start < text->size()) {
    size_t end = text->find('\n', start);
    if (end == std::string::npos)
      end = text->size();
    const size_t first = text->find_first_not_of(" \t\r", start);
    if (!(first < end && (*text)[first] == '#')) {
      body_.append(*text, start, end - start);
      body_ += '\n';
    }
    start = end + 1;
  }
  pos_ = body_.c_str();
}

cv::Mat_<double> text_matrix_reader::next(const char* what, std::initializer_list<int> types) {
  const double rows = number(what, "row count");
  const double cols = number(what, "column count");
  const double type = number(what, "type");
  if (rows < 1 || cols < 1 || rows > 1e5 || cols > 1e5 || rows != std::floor(rows) ||
      cols != std::floor(cols))
    fail(std::string(what) + ": bad size");
  if (std::find(types.begin(), types.end(), type) == types.end())
    fail(std::string(what) + ": unsupported type code");
  // Each value takes a digit and a separator: a header asking for more values than the rest
  // of the file can hold is corrupt, and is refused before its matrix is allocated (up to
  // 80 GB for the largest header the size check above lets through).
  const size_t left = body_.size() - static_cast<size_t>(pos_ - body_.c_str());
  if (rows * cols > static_cast<double>(left / 2 + 1))
    fail(std::string(what) + ": " + std::to_string(static_cast<long long>(rows * cols)) +
         " values announced, more than the file holds");
  cv::Mat_<double> m(static_cast<int>(rows), static_cast<int>(cols));
  for (int r = 0; r < m.rows; ++r)
    for (int c = 0; c < m.cols; ++c)
      m(r, c) = number(what, "values (file truncated?)");
  return m;
}

void text_matrix_reader::fail(const std::string& reason) const {
  throw error(error_code::model_format, file_.string() + ": " + reason);
}

double text_matrix_reader::number(const char* what, const char* field) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(pos_, &end);
  if (end == pos_ || errno == ERANGE || !std::isfinite(v))
    fail(std::string(what) + ": missing or malformed " + field);
  pos_ = end;
  return v;
}

}  // namespace facemirror::detail

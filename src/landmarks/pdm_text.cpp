// OpenFace's PDM text format (pdm_text.h).
#include "landmarks/pdm_text.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "facemirror/error.h"

namespace facemirror::detail {
namespace {

// Reads OpenFace's matrix text format: '#' comment lines, then rows, cols, OpenCV type code,
// then rows*cols whitespace-separated values in row-major order.
class matrix_reader {
 public:
  matrix_reader(const std::filesystem::path& file, const std::string& text) : file_(file) {
    // Drop comment lines once, so the rest is a plain token stream.
    std::istringstream in(text);
    std::string line;
    std::string body;
    while (std::getline(in, line)) {
      const auto first = line.find_first_not_of(" \t\r");
      if (first != std::string::npos && line[first] == '#')
        continue;
      body += line;
      body += '\n';
    }
    body_ = std::move(body);
    pos_ = body_.c_str();
  }

  cv::Mat_<double> next(const char* what) {
    const double rows = number(what, "row count");
    const double cols = number(what, "column count");
    const double type = number(what, "type");
    if (rows < 1 || cols < 1 || rows > 1e5 || cols > 1e5 || rows != std::floor(rows) ||
        cols != std::floor(cols))
      fail(std::string(what) + ": bad size");
    if (type != CV_32F && type != CV_64F)
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

  [[noreturn]] void fail(const std::string& reason) const {
    throw error(error_code::model_format, file_.string() + ": " + reason);
  }

 private:
  double number(const char* what, const char* field) {
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(pos_, &end);
    if (end == pos_ || errno == ERANGE || !std::isfinite(v))
      fail(std::string(what) + ": missing or malformed " + field);
    pos_ = end;
    return v;
  }

  std::filesystem::path file_;
  std::string body_;
  const char* pos_ = nullptr;
};

}  // namespace

pdm_matrices read_pdm_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw error(error_code::model_format, file.string() + ": cannot open PDM file");
  std::ostringstream text;
  text << in.rdbuf();
  matrix_reader reader(file, text.str());

  pdm_matrices pdm;
  pdm.mean = reader.next("mean shape");
  pdm.components = reader.next("principal components");
  pdm.eigenvalues = reader.next("eigenvalues");
  if (pdm.eigenvalues.cols == 1)
    pdm.eigenvalues = pdm.eigenvalues.t();
  if (pdm.mean.cols != 1 || pdm.mean.rows % 3 != 0)
    reader.fail("mean shape must be 3n x 1");
  if (pdm.components.rows != pdm.mean.rows)
    reader.fail("principal components row count mismatch");
  if (pdm.eigenvalues.rows != 1 || pdm.eigenvalues.cols != pdm.components.cols)
    reader.fail("eigenvalue count does not match the principal components");
  for (int k = 0; k < pdm.eigenvalues.cols; ++k)
    if (!(pdm.eigenvalues(0, k) > 0))
      reader.fail("eigenvalues must be positive");
  return pdm;
}

}  // namespace facemirror::detail

#pragma once
// OpenFace's matrix text format (the PDMs in model/pdms/, the triangulation tris_68_full.txt):
// '#' comment lines, then per matrix its rows, cols and OpenCV type code, then rows * cols
// whitespace-separated values in row-major order. One reader for every text model, so that a
// malformed file fails the same way: facemirror::error(model_format) naming the file and the
// matrix being read.

#include <filesystem>
#include <initializer_list>
#include <string>

#include <opencv2/core.hpp>

namespace facemirror::detail {

class text_matrix_reader {
 public:
  /// Reads the whole file; throws error(model_format) "<file>: cannot open <kind> file" when it
  /// cannot be read.
  text_matrix_reader(const std::filesystem::path& file, const char* kind);

  /// The next matrix, as doubles. Its type code must be one of `types`; `what` names it in
  /// errors (bad size or type, a value missing or not a finite number, a header announcing
  /// more values than the rest of the file can hold).
  [[nodiscard]] cv::Mat_<double> next(const char* what,
                                      std::initializer_list<int> types = {CV_32F, CV_64F});

  /// Throws error(model_format): "<file>: <reason>".
  [[noreturn]] void fail(const std::string& reason) const;

 private:
  double number(const char* what, const char* field);

  std::filesystem::path file_;
  std::string body_;  // the file without its comment lines
  const char* pos_ = nullptr;
};

}  // namespace facemirror::detail

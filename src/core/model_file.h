#pragma once
// Reading OpenFace's binary model files (patch experts, detection validator, AU predictors,
// MTCNN weights): little-endian scalars and OpenCV matrices written as rows, cols, type, data.
// One reader for every module, so that every truncated or malformed file fails the same way:
// facemirror::error(model_format) naming the file and what was being read.

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace facemirror::detail {

class model_file {
 public:
  /// Reads the whole file; throws error(model_format) naming it when it cannot be opened.
  explicit model_file(const std::filesystem::path& file);

  [[nodiscard]] int32_t i32(const char* what) { return pod<int32_t>(what); }
  [[nodiscard]] float f32(const char* what) { return pod<float>(what); }
  [[nodiscard]] double f64(const char* what) { return pod<double>(what); }

  /// One matrix in its stored element type (CV_8U, CV_32S, CV_32F or CV_64F, one channel).
  [[nodiscard]] cv::Mat mat_as_stored(const char* what);
  /// One matrix converted to double.
  [[nodiscard]] cv::Mat_<double> mat(const char* what);

  [[nodiscard]] bool at_end() const { return pos_ == data_.size(); }
  [[nodiscard]] size_t remaining() const { return data_.size() - pos_; }
  [[nodiscard]] const std::filesystem::path& path() const { return file_; }
  [[noreturn]] void fail(const std::string& why) const;

 private:
  void take(void* out, size_t bytes, const char* what);
  template <typename T>
  T pod(const char* what) {
    T v;
    take(&v, sizeof(T), what);
    return v;
  }

  std::filesystem::path file_;
  std::string data_;
  size_t pos_ = 0;
};

}  // namespace facemirror::detail

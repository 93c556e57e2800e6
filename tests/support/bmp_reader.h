#pragma once
// Reads the 24-bit, uncompressed BMPs OpenFace (through OpenCV) and facemirror write, so that
// tests compare aligned faces without OpenCV's image codecs.

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include <opencv2/core.hpp>

namespace facemirror::test {

inline std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot open '" + file.string() + "'");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// An 8-bit BGR image; throws std::runtime_error naming the file for any other BMP.
inline cv::Mat read_bmp(const std::filesystem::path& file) {
  const std::string bytes = read_bytes(file);
  const auto field = [&](size_t at, auto value) {
    if (bytes.size() < at + sizeof(value))
      throw std::runtime_error("'" + file.string() + "': truncated BMP header");
    std::memcpy(&value, bytes.data() + at, sizeof(value));
    return value;
  };
  const uint32_t offset = field(10, uint32_t{});
  const int32_t width = field(18, int32_t{});
  const int32_t height = field(22, int32_t{});
  const uint16_t bits = field(28, uint16_t{});
  const uint32_t compression = field(30, uint32_t{});
  if (bytes.compare(0, 2, "BM") != 0 || bits != 24 || compression != 0 || width <= 0 || height <= 0)
    throw std::runtime_error("'" + file.string() + "': not a 24-bit bottom-up BMP");
  const size_t row_bytes = (static_cast<size_t>(width) * 3 + 3) & ~size_t{3};
  if (bytes.size() < offset + row_bytes * static_cast<size_t>(height))
    throw std::runtime_error("'" + file.string() + "': truncated BMP pixels");
  cv::Mat image(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    const char* row = bytes.data() + offset + row_bytes * static_cast<size_t>(height - 1 - y);
    std::memcpy(image.ptr(y), row, static_cast<size_t>(width) * 3);
  }
  return image;
}

}  // namespace facemirror::test

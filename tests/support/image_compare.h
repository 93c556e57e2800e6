#pragma once
// Bit-for-bit image comparison, for code that must reproduce another library's pixels exactly.
#include <cstring>

#include <opencv2/core.hpp>

namespace facemirror::test {

// Same size, type and bytes (row padding ignored).
inline bool same_bits(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type())
    return false;
  for (int y = 0; y < a.rows; ++y)
    if (std::memcmp(a.ptr(y), b.ptr(y), a.cols * a.elemSize()) != 0)
      return false;
  return true;
}

}  // namespace facemirror::test

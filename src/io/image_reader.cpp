#include "facemirror/io/image_reader.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facemirror/error.h"

namespace facemirror {

cv::Mat read_image(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec) || !std::ifstream(file, std::ios::binary))
    throw error(error_code::io, file.string() + ": cannot open the image");
  // IMREAD_UNCHANGED keeps 16-bit samples and grey as stored (IMREAD_COLOR would already have
  // reduced them) and leaves the EXIF orientation alone, as OpenFace reads its images.
  cv::Mat raw = cv::imread(file.string(), cv::IMREAD_UNCHANGED);
  if (raw.empty())
    throw error(error_code::codec, file.string() + ": not an image OpenCV can decode");
  if (raw.depth() == CV_16U)
    raw.convertTo(raw, CV_8U, 1.0 / 256.0);
  else if (raw.depth() != CV_8U)
    throw error(error_code::codec, file.string() + ": unsupported sample type (8 or 16 bits)");
  cv::Mat bgr;
  switch (raw.channels()) {
    case 1:
      cv::cvtColor(raw, bgr, cv::COLOR_GRAY2BGR);
      break;
    case 3:
      bgr = raw;
      break;
    case 4:
      cv::cvtColor(raw, bgr, cv::COLOR_BGRA2BGR);
      break;
    default:
      throw error(error_code::codec,
                  file.string() + ": unsupported channel count " + std::to_string(raw.channels()));
  }
  return bgr;
}

bool is_image_file(const std::filesystem::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::array<const char*, 7> known = {".jpg", ".jpeg", ".png", ".bmp",
                                                   ".tif", ".tiff", ".webp"};
  return std::find(known.begin(), known.end(), ext) != known.end();
}

}  // namespace facemirror

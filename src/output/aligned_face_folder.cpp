#include "facemirror/output/aligned_face_folder.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "facemirror/error.h"

#include "core/partial_path.h"
#include <fcntl.h>
#include <unistd.h>

namespace facemirror {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void throw_io(const fs::path& path, const std::string& what, int err) {
  throw error(error_code::io, "cannot " + what + " '" + path.string() + "': " + std::strerror(err));
}

template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

}  // namespace

std::string encode_bmp(const cv::Mat& image) {
  if (image.empty() || image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3))
    throw error(error_code::invalid_argument, "encode_bmp: expected an 8-bit grey or BGR image");
  const int width = image.cols, height = image.rows;
  const size_t row_bytes = (static_cast<size_t>(width) * 3 + 3) & ~size_t{3};  // 4-byte rows
  const size_t pixel_bytes = row_bytes * static_cast<size_t>(height);
  std::string out;
  out.reserve(54 + pixel_bytes);
  out += "BM";
  put<uint32_t>(out, static_cast<uint32_t>(54 + pixel_bytes));
  put<uint32_t>(out, 0);   // reserved
  put<uint32_t>(out, 54);  // pixel data offset
  put<uint32_t>(out, 40);  // BITMAPINFOHEADER
  put<int32_t>(out, width);
  put<int32_t>(out, height);  // positive: rows bottom-up
  put<uint16_t>(out, 1);      // planes
  put<uint16_t>(out, 24);     // bits per pixel
  // Compression, image size, resolution and palette fields are all 0, as OpenCV writes them.
  for (int i = 0; i < 6; ++i)
    put<uint32_t>(out, 0);
  std::string row(row_bytes, '\0');
  for (int y = height - 1; y >= 0; --y) {
    const uchar* src = image.ptr<uchar>(y);
    if (image.channels() == 3) {
      std::memcpy(row.data(), src, static_cast<size_t>(width) * 3);
    } else {
      for (int x = 0; x < width; ++x)
        row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = static_cast<char>(src[x]);
    }
    out += row;
  }
  return out;
}

std::string aligned_face_name(int64_t frame_number, int face, const std::string& format) {
  char name[64];
  std::snprintf(name, sizeof(name), "frame_det_%02d_%06lld.", face,
                static_cast<long long>(frame_number));
  return name + format;
}

bool can_write_image_format(const std::string& format) {
  // BMP is always there (encode_bmp, and OpenCV's built-in encoder): asking OpenCV would load
  // its whole codec registry, GDAL's plugin included, for the default that never needs it.
  if (format == "bmp")
    return true;
  if (format.empty() ||
      format.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") !=
          std::string::npos)
    return false;
  return cv::haveImageWriter("face." + format);
}

std::string encode_image(const cv::Mat& image, const std::string& format) {
  if (format == "bmp" && image.channels() == 3)
    return encode_bmp(image);
  if (image.empty() || image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3))
    throw error(error_code::invalid_argument, "encode_image: expected an 8-bit grey or BGR image");
  std::vector<uchar> bytes;
  if (!can_write_image_format(format) || !cv::imencode("." + format, image, bytes))
    throw error(error_code::invalid_argument, "cannot encode an image as '" + format + "'");
  return std::string(bytes.begin(), bytes.end());
}

aligned_face_folder::aligned_face_folder(fs::path target, std::string format)
    : target_(std::move(target)), format_(std::move(format)) {
  if (!can_write_image_format(format_))
    throw error(error_code::invalid_argument,
                "'" + target_.string() + "': OpenCV cannot write images as '" + format_ + "'");
  temp_ = detail::partial_path(target_);
  std::error_code ec;
  if (!fs::create_directory(temp_, ec))
    throw_io(target_, "create", ec ? ec.value() : EEXIST);
}

aligned_face_folder::~aligned_face_folder() {
  if (!committed_) {
    std::error_code ignored;
    fs::remove_all(temp_, ignored);
  }
}

void aligned_face_folder::add(int64_t frame_number, const cv::Mat& face) {
  FACEMIRROR_CHECK(!committed_, "aligned_face_folder::add after commit");
  const std::string bytes = encode_image(face, format_);
  const fs::path file = temp_ / aligned_face_name(frame_number, 0, format_);
  std::FILE* out = std::fopen(file.c_str(), "wb");
  if (out == nullptr)
    throw_io(file, "create", errno);
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), out) == bytes.size();
  const int err = errno;
  if (std::fclose(out) != 0 || !written)
    throw_io(file, "write", written ? errno : err);
}

void aligned_face_folder::commit() {
  FACEMIRROR_CHECK(!committed_, "aligned_face_folder::commit called twice");
  // One syncfs for the whole folder rather than an fsync per image: the images must be on disk
  // before the rename makes them visible, and a video has thousands of them.
  const int dir = ::open(temp_.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir < 0 || ::syncfs(dir) != 0) {
    const int err = errno;
    if (dir >= 0)
      ::close(dir);
    throw_io(target_, "write", err);
  }
  ::close(dir);
  std::error_code ec;
  if (fs::exists(target_, ec)) {
    // Swap the new folder in atomically, then drop the old one (now at temp_).
    if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) != 0)
      throw_io(target_, "replace", errno);
    committed_ = true;
    fs::remove_all(temp_, ec);
    return;
  }
  if (std::rename(temp_.c_str(), target_.c_str()) != 0)
    throw_io(target_, "rename onto", errno);
  committed_ = true;
}

}  // namespace facemirror

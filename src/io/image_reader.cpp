#include "facemirror/io/image_reader.h"

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facemirror/error.h"

#include "core/file_bytes.h"
#include "io/file_extension.h"
#include <libexif/exif-data.h>

namespace facemirror {

namespace {

// Past OpenCV's own limit (2^30 pixels, up to 8 GiB decoded), an image file's header alone could
// make one read allocate gigabytes before its data is found missing. No camera comes near this.
constexpr std::int64_t max_image_pixels = std::int64_t{1} << 27;  // 134 megapixels

struct image_over_pixel_limit {
  int rows;
  int cols;
};

// Set only while this thread decodes in read_image; 0 = no limit.
thread_local std::int64_t decoding_pixel_limit = 0;

// OpenCV's default cv::Mat allocator, replaced once at load: it forwards every allocation to
// OpenCV's standard allocator, except that an image buffer over decoding_pixel_limit throws.
// It has to be the default: Mat::create falls back to the default allocator when any other one
// throws, and imread allocates the decoded image from the header's size before reading pixels.
class pixel_limited_allocator final : public cv::MatAllocator {
 public:
  cv::UMatData* allocate(int dims, const int* sizes, int type, void* data, size_t* step,
                         cv::AccessFlag flags, cv::UMatUsageFlags usage) const override {
    if (decoding_pixel_limit > 0 && dims >= 2 && data == nullptr) {
      std::int64_t pixels = 1;
      for (int d = 0; d < dims; ++d)
        pixels *= sizes[d];
      if (pixels > decoding_pixel_limit)
        throw image_over_pixel_limit{sizes[0], sizes[1]};
    }
    return cv::Mat::getStdAllocator()->allocate(dims, sizes, type, data, step, flags, usage);
  }
  bool allocate(cv::UMatData* data, cv::AccessFlag flags, cv::UMatUsageFlags usage) const override {
    return cv::Mat::getStdAllocator()->allocate(data, flags, usage);
  }
  void deallocate(cv::UMatData* data) const override {
    cv::Mat::getStdAllocator()->deallocate(data);
  }
};

// Never destroyed: a Mat created during static destruction still finds its default allocator.
[[maybe_unused]] pixel_limited_allocator* const limited_allocator = [] {
  auto* allocator = new pixel_limited_allocator;
  // At load, before any thread of ours exists (setDefaultAllocator is a plain pointer store).
  cv::Mat::setDefaultAllocator(allocator);
  return allocator;
}();

class decoding_limit_scope {
 public:
  decoding_limit_scope() { decoding_pixel_limit = max_image_pixels; }
  ~decoding_limit_scope() { decoding_pixel_limit = 0; }
  decoding_limit_scope(const decoding_limit_scope&) = delete;
  decoding_limit_scope& operator=(const decoding_limit_scope&) = delete;
};

// libjpeg decodes a JPEG cut short without failing: it warns on stderr ("Premature end of JPEG
// file", naming no file), fills the missing rows with grey, and OpenCV returns the image, whose
// face would then be measured on grey. A whole JPEG's markers lead, segment by segment and scan
// by scan, to its end-of-image marker; a cut one runs out of bytes first. Bytes after the end
// marker (some cameras append data) do not matter; stray bytes between segments are skipped
// as libjpeg skips them.
bool jpeg_reaches_its_end(const std::string& bytes) {
  const size_t n = bytes.size();
  const auto at = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  size_t pos = 2;  // after the start-of-image marker
  for (;;) {
    while (pos < n && at(pos) != 0xFF)
      ++pos;
    while (pos < n && at(pos) == 0xFF)  // fill bytes before a marker code
      ++pos;
    if (pos >= n)
      return false;
    const unsigned char code = at(pos++);
    if (code == 0xD9)
      return true;
    if (code == 0x01 || (code >= 0xD0 && code <= 0xD7))  // markers without a length
      continue;
    if (pos + 2 > n)
      return false;
    const size_t length = (size_t{at(pos)} << 8) | at(pos + 1);
    if (length < 2 || length > n - pos)
      return false;
    pos += length;
    if (code != 0xDA)
      continue;
    // A scan's entropy-coded data runs to the next marker that is not a restart: inside it a
    // 0xFF data byte is followed by 0x00.
    for (;;) {
      if (pos + 1 >= n)
        return false;
      if (at(pos) != 0xFF) {
        ++pos;
        continue;
      }
      const unsigned char next = at(pos + 1);
      if (next == 0xFF)
        ++pos;
      else if (next == 0x00 || (next >= 0xD0 && next <= 0xD7))
        pos += 2;
      else
        break;  // the marker after the scan, read by the outer loop
    }
  }
}

bool is_jpeg_cut_short(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const bool jpeg = bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
                    static_cast<unsigned char>(bytes[1]) == 0xD8;
  return jpeg && !jpeg_reaches_its_end(bytes);
}

}  // namespace

cv::Mat read_image(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec) || !std::ifstream(file, std::ios::binary))
    throw error(error_code::io,
                file.string() + ": cannot open the image: " + detail::unreadable_reason(file));
  // IMREAD_UNCHANGED keeps 16-bit samples and grey as stored (IMREAD_COLOR would already have
  // reduced them) and leaves the EXIF orientation alone, as OpenFace reads its images.
  cv::Mat raw;
  try {
    const decoding_limit_scope limit;
    raw = cv::imread(file.string(), cv::IMREAD_UNCHANGED);
  } catch (const image_over_pixel_limit& size) {
    throw error(error_code::codec, file.string() + ": " + std::to_string(size.cols) + "x" +
                                       std::to_string(size.rows) +
                                       " pixels, more than facemirror decodes (" +
                                       std::to_string(max_image_pixels) + ")");
  } catch (const cv::Exception& e) {
    // imgcodecs throws (rather than returning an empty image) for some damaged files, e.g. a
    // JPEG header that claims more pixels than OpenCV's image size limit.
    throw error(error_code::codec,
                file.string() + ": not an image OpenCV can decode (" + e.err + ")");
  }
  if (raw.empty())
    throw error(error_code::codec, file.string() + ": not an image OpenCV can decode");
  if (is_jpeg_cut_short(file))
    throw error(error_code::codec, file.string() +
                                       ": a JPEG cut short (its data ends before its end "
                                       "marker: a copy or download that did not finish?)");
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

int exif_orientation(const std::filesystem::path& file) {
  ExifData* data = exif_data_new_from_file(file.c_str());
  if (data == nullptr)
    return 1;
  int orientation = 1;
  if (ExifEntry* entry = exif_data_get_entry(data, EXIF_TAG_ORIENTATION);
      entry != nullptr && entry->format == EXIF_FORMAT_SHORT && entry->components == 1)
    orientation = exif_get_short(entry->data, exif_data_get_byte_order(data));
  exif_data_unref(data);
  return orientation >= 1 && orientation <= 8 ? orientation : 1;
}

const char* describe_exif_orientation(int orientation) {
  switch (orientation) {
    case 2:
      return "mirrored left to right";
    case 3:
      return "turned 180 degrees";
    case 4:
      return "mirrored top to bottom";
    case 5:
      return "mirrored and turned 90 degrees clockwise";
    case 6:
      return "turned 90 degrees clockwise";
    case 7:
      return "mirrored and turned 90 degrees anticlockwise";
    case 8:
      return "turned 90 degrees anticlockwise";
    default:
      return "";
  }
}

const std::vector<std::string>& image_extensions() {
  static const std::vector<std::string> extensions = {".jpg", ".jpeg", ".png", ".bmp",
                                                      ".tif", ".tiff", ".webp"};
  return extensions;
}

bool is_image_file(const std::filesystem::path& file) {
  return detail::has_extension_in(file, image_extensions());
}

}  // namespace facemirror

#include "facemirror/output/hog_file.h"

#include <cstring>
#include <string>

#include "facemirror/error.h"

#include "core/file_bytes.h"

namespace facemirror {
namespace {

static_assert(sizeof(float) == 4 && sizeof(int32_t) == 4, "OpenFace's layout is 32-bit");

template <typename T>
void append(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

}  // namespace

hog_file_writer::hog_file_writer(const std::filesystem::path& target)
    : file_(std::make_unique<atomic_file>(target)) {}

void hog_file_writer::add(const std::vector<float>& values, int rows, int cols, int channels,
                          bool valid) {
  if (rows < 0 || cols < 0 || channels < 0 ||
      values.size() !=
          static_cast<size_t>(rows) * static_cast<size_t>(cols) * static_cast<size_t>(channels)) {
    throw error(error_code::invalid_argument, "hog_file_writer: " + std::to_string(values.size()) +
                                                  " values for " + std::to_string(rows) + "x" +
                                                  std::to_string(cols) + "x" +
                                                  std::to_string(channels) + " cells");
  }
  record_.clear();
  append<int32_t>(record_, cols);
  append<int32_t>(record_, rows);
  append<int32_t>(record_, channels);
  append<float>(record_, valid ? 1.0f : 0.0f);
  record_.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  file_->write(record_);
  ++frames_;
}

void hog_file_writer::commit() {
  file_->commit();
}

std::vector<hog_record> read_hog_file(const std::filesystem::path& file) {
  const auto read = detail::read_file_bytes(file);
  if (!read)
    throw error(error_code::io, "cannot open or read HOG file '" + file.string() + "'");
  const std::string& bytes = *read;
  std::vector<hog_record> records;
  size_t at = 0;
  const auto malformed = [&](const std::string& why) {
    return error(error_code::io,
                 "HOG file '" + file.string() + "': " + why + " at byte " + std::to_string(at));
  };
  while (at < bytes.size()) {
    if (bytes.size() - at < 16)
      throw malformed("truncated record header");
    hog_record r;
    float valid = 0.0f;
    std::memcpy(&r.cols, bytes.data() + at, 4);
    std::memcpy(&r.rows, bytes.data() + at + 4, 4);
    std::memcpy(&r.channels, bytes.data() + at + 8, 4);
    std::memcpy(&valid, bytes.data() + at + 12, 4);
    // 4096 cells of 4096 channels is far beyond any face crop: a corrupt header, not a record.
    if (r.cols < 0 || r.rows < 0 || r.channels < 0 || r.cols > 4096 || r.rows > 4096 ||
        r.channels > 4096 || (valid != 0.0f && valid != 1.0f)) {
      throw malformed("bad record header");
    }
    r.valid = valid == 1.0f;
    const size_t count =
        static_cast<size_t>(r.cols) * static_cast<size_t>(r.rows) * static_cast<size_t>(r.channels);
    if ((bytes.size() - at - 16) / sizeof(float) < count)
      throw malformed("truncated record");
    r.values.resize(count);
    if (count > 0)  // an empty vector's data() may be null, which memcpy must not get
      std::memcpy(r.values.data(), bytes.data() + at + 16, count * sizeof(float));
    at += 16 + count * sizeof(float);
    records.push_back(std::move(r));
  }
  return records;
}

}  // namespace facemirror

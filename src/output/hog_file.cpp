#include "facemirror/output/hog_file.h"

#include <cstring>
#include <string>

#include "facemirror/error.h"

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

hog_file_reader::hog_file_reader(const std::filesystem::path& file)
    : file_(file), in_(file, std::ios::binary) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(file, ec);
  if (!in_ || ec)
    throw error(error_code::io, "cannot open or read HOG file '" + file.string() + "'");
  size_ = size;
}

bool hog_file_reader::next(hog_record& r) {
  if (at_ >= size_)
    return false;
  const auto malformed = [&](const std::string& why) {
    return error(error_code::io,
                 "HOG file '" + file_.string() + "': " + why + " at byte " + std::to_string(at_));
  };
  if (size_ - at_ < 16)
    throw malformed("truncated record header");
  char header[16];
  if (!in_.read(header, sizeof header))
    throw malformed("read error");
  float valid = 0.0f;
  std::memcpy(&r.cols, header, 4);
  std::memcpy(&r.rows, header + 4, 4);
  std::memcpy(&r.channels, header + 8, 4);
  std::memcpy(&valid, header + 12, 4);
  // 4096 cells of 4096 channels is far beyond any face crop: a corrupt header, not a record.
  if (r.cols < 0 || r.rows < 0 || r.channels < 0 || r.cols > 4096 || r.rows > 4096 ||
      r.channels > 4096 || (valid != 0.0f && valid != 1.0f)) {
    throw malformed("bad record header");
  }
  r.valid = valid == 1.0f;
  const uint64_t count = static_cast<uint64_t>(r.cols) * static_cast<uint64_t>(r.rows) *
                         static_cast<uint64_t>(r.channels);
  if ((size_ - at_ - 16) / sizeof(float) < count)
    throw malformed("truncated record");
  r.values.resize(count);
  // An empty vector's data() may be null, which read() must not get.
  if (count > 0 && !in_.read(reinterpret_cast<char*>(r.values.data()),
                             static_cast<std::streamsize>(count * sizeof(float))))
    throw malformed("read error");
  at_ += 16 + count * sizeof(float);
  return true;
}

std::vector<hog_record> read_hog_file(const std::filesystem::path& file) {
  hog_file_reader reader(file);
  std::vector<hog_record> records;
  hog_record r;
  while (reader.next(r))
    records.push_back(std::move(r));
  return records;
}

}  // namespace facemirror

#include "core/file_bytes.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace facemirror::detail {

std::optional<std::string> read_file_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::string bytes;
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) {  // not a regular file: read it as a stream
    try {
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } catch (const std::ios_base::failure&) {  // a read error (e.g. a folder, which opens on
      return std::nullopt;                     // Linux): the stream buffer itself throws
    }
  } else {
    bytes.resize(static_cast<size_t>(size));
    in.read(bytes.data(), static_cast<std::streamsize>(size));
    bytes.resize(static_cast<size_t>(in.gcount()));
  }
  if (in.bad())
    return std::nullopt;
  return bytes;
}

std::string unreadable_reason(const std::filesystem::path& file) {
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (status.type() == std::filesystem::file_type::not_found)
    return "no such file";
  if (status.type() == std::filesystem::file_type::directory)
    return "a folder, not a file";
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return std::strerror(errno);
  ::close(fd);
  return ec ? ec.message() : "unreadable";
}

}  // namespace facemirror::detail

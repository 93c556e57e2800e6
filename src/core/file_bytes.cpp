#include "core/file_bytes.h"

#include <fstream>
#include <iterator>
#include <system_error>

namespace facemirror::detail {

std::optional<std::string> read_file_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::string bytes;
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) {  // not a regular file: read it as a stream
    if (std::filesystem::is_directory(file, ec))
      return std::nullopt;  // opens on Linux, but reading it fails
    try {
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } catch (const std::ios_base::failure&) {  // a read error: the stream buffer throws
      return std::nullopt;
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

}  // namespace facemirror::detail

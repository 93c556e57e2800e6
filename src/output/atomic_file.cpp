#include "facemirror/output/atomic_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "facemirror/error.h"

#include "core/partial_path.h"
#include <unistd.h>

namespace facemirror {
namespace {

[[noreturn]] void throw_io(const std::filesystem::path& path, const std::string& what) {
  throw error(error_code::io,
              "cannot " + what + " '" + path.string() + "': " + std::strerror(errno));
}

}  // namespace

atomic_file::atomic_file(std::filesystem::path target) : target_(std::move(target)) {
  temp_ = detail::partial_path(target_);
  file_ = std::fopen(temp_.c_str(), "wb");
  if (file_ == nullptr)
    throw_io(target_, "create");
}

atomic_file::~atomic_file() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::error_code ignored;
    std::filesystem::remove(temp_, ignored);
  }
}

void atomic_file::write(std::string_view bytes) {
  FACEMIRROR_CHECK(file_ != nullptr, "atomic_file::write after commit");
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size())
    throw_io(target_, "write");
}

void atomic_file::commit() {
  FACEMIRROR_CHECK(file_ != nullptr, "atomic_file::commit called twice");
  // A crash after rename must not expose a file whose data never reached the disk.
  bool ok = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  ok = (std::fclose(file_) == 0) && ok;
  file_ = nullptr;
  if (!ok) {
    std::error_code ignored;
    std::filesystem::remove(temp_, ignored);
    throw_io(target_, "write");
  }
  if (std::rename(temp_.c_str(), target_.c_str()) != 0) {
    int saved = errno;
    std::error_code ignored;
    std::filesystem::remove(temp_, ignored);
    errno = saved;
    throw_io(target_, "rename onto");
  }
}

std::unique_ptr<atomic_file> atomic_copy(const std::filesystem::path& from,
                                         const std::filesystem::path& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in)
    throw error(error_code::io, "cannot read '" + from.string() + "'");
  auto copy = std::make_unique<atomic_file>(to);
  std::vector<char> buffer(1 << 20);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0)
    copy->write(std::string_view(buffer.data(), static_cast<size_t>(in.gcount())));
  if (in.bad())
    throw error(error_code::io, "cannot read '" + from.string() + "'");
  return copy;
}

bool has_orphaned_partial(const std::filesystem::path& target) {
  return detail::has_orphan(target);
}

void remove_orphaned_partials(const std::filesystem::path& target) {
  detail::remove_orphans(target);
}

}  // namespace facemirror

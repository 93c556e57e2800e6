#pragma once
// SHA-256 in hex (sha256sum's spelling), for the model checksums checked at load and the
// report's provenance listing.

#include <filesystem>
#include <string>
#include <string_view>

namespace facemirror::detail {

[[nodiscard]] std::string sha256_hex(std::string_view bytes);
/// Throws facemirror::error(io) naming `file` when it cannot be read.
[[nodiscard]] std::string sha256_of_file(const std::filesystem::path& file);

}  // namespace facemirror::detail

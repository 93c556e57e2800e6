#pragma once
// Reading a whole file into memory, the one way every reader of this library does it: one
// read() of the file's size (a byte-at-a-time istreambuf_iterator cost a tenth of a one-photo
// run's CPU over the model files), falling back to a stream read for what has no size (a pipe).

#include <filesystem>
#include <optional>
#include <string>

namespace facemirror::detail {

/// The file's bytes, or nullopt when it cannot be opened or read (the caller names the file and
/// the error code its own contract promises). A file that shrinks while it is read gives the
/// bytes that were there. No thread rules: touches nothing but the file.
[[nodiscard]] std::optional<std::string> read_file_bytes(const std::filesystem::path& file);

/// Why `file` cannot be read, for an error message: "no such file", "a folder, not a file",
/// "permission denied", ... (the system's reason when it gives one, else "unreadable").
[[nodiscard]] std::string unreadable_reason(const std::filesystem::path& file);

}  // namespace facemirror::detail

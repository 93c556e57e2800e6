#pragma once
// One exception type for every failure the library reports. Expected per-frame outcomes (no
// face, low confidence) are data in frame results, never exceptions.

#include <stdexcept>
#include <string>

namespace facemirror {

enum class error_code {
  invalid_argument,  // a bad option or call
  io,                // a file that cannot be opened, read or written
  model_format,      // a model file that is missing, truncated or malformed
  codec,             // a video that cannot be demuxed or decoded
  internal,          // a broken invariant: a bug
};

/// The library's exception. what() is one line that names the file and the reason.
class error : public std::runtime_error {
 public:
  error(error_code code, const std::string& message) : std::runtime_error(message), code_(code) {}
  [[nodiscard]] error_code code() const noexcept { return code_; }

 private:
  error_code code_;
};

}  // namespace facemirror

/// Always-on contract check for API boundaries: throws facemirror::error(internal).
#define FACEMIRROR_CHECK(cond, msg)                                       \
  do {                                                                    \
    if (!(cond))                                                          \
      throw ::facemirror::error(::facemirror::error_code::internal, msg); \
  } while (0)

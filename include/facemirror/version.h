#pragma once

namespace facemirror {

/// The library version, "major.minor.patch".
[[nodiscard]] const char* version() noexcept;

}  // namespace facemirror

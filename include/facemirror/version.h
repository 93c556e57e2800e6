#pragma once

// The version these headers belong to, for #if in a program built against them (CMake's
// configure checks them against the project's version).
#define FACEMIRROR_VERSION_MAJOR 0
#define FACEMIRROR_VERSION_MINOR 1
#define FACEMIRROR_VERSION_PATCH 0

namespace facemirror {

/// The version of the library loaded, "major.minor.patch" (the headers': the macros above).
[[nodiscard]] const char* version() noexcept;

}  // namespace facemirror

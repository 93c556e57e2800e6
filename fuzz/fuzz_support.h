#pragma once
// What every libFuzzer target in fuzz/ shares.
//
// The parsers take paths, as the program calls them, so each input is written to a file in a
// scratch folder of this process (scratch_dir) and the parser reads it back: what is fuzzed
// is the real entry point, file reading included.
//
// THE RULE A TARGET CHECKS
//   Outside data may only make a parser throw facemirror::error (the message names the file).
//   A target catches exactly that; anything else (a crash, a sanitizer report, another
//   exception such as std::bad_alloc or cv::Exception, a hang, an allocation over libFuzzer's
//   -malloc_limit_mb) is a finding.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "facemirror/error.h"

#include <unistd.h>

namespace facemirror::fuzz {

/// This process's scratch folder: $TMPDIR (or /tmp)/facemirror-fuzz-<pid>, removed at a normal
/// exit; libFuzzer's own end (_Exit) skips that, so scripts/fuzz.sh points $TMPDIR at a folder
/// of its own and removes it after each target.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::filesystem::path d = std::filesystem::path(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") /
                              ("facemirror-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return d;
  }();
  return dir;
}

/// Writes the input to scratch_dir()/name (replacing what an earlier input left there).
inline std::filesystem::path write_input(const uint8_t* data, size_t size,
                                         const std::string& name) {
  const std::filesystem::path file = scratch_dir() / name;
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out.flush())
    std::abort();  // the scratch folder is full or gone: not a finding, but nothing to test
  return file;
}

/// Runs one parse: facemirror::error is the parser's contract for bad input and is swallowed;
/// anything else propagates to libFuzzer, which reports it (an uncaught exception aborts).
template <typename Parse>
int parse_or_reject(Parse&& parse) {
  try {
    parse();
  } catch (const facemirror::error&) {
  }
  return 0;
}

/// Aborts (a libFuzzer finding) when a parser broke the contract its header states.
inline void check(bool ok) {
  if (!ok)
    std::abort();
}

}  // namespace facemirror::fuzz

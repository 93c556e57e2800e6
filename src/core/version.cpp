#include "facemirror/version.h"

namespace facemirror {

const char* version() noexcept {
  return FACEMIRROR_VERSION;  // project(VERSION) in CMakeLists.txt, the one place it is written
}

}  // namespace facemirror

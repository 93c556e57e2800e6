#include "facemirror/version.h"

namespace facemirror {

const char* version() noexcept {
  return "0.1.0";
}

}  // namespace facemirror

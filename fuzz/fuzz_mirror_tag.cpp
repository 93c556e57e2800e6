// The comment tag of facemirror's mirrored videos, read from any video given to `aus`: it is
// accepted exactly when it is what mirrored_comment() writes.
#include <string>

#include "fuzz_support.h"
#include "pipeline/mirror_tag.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace facemirror::detail;
  const std::string comment(reinterpret_cast<const char*>(data), size);
  if (const auto frames = mirrored_segment_frames(comment))
    facemirror::fuzz::check(*frames > 0 && mirrored_comment(static_cast<int>(*frames)) == comment);
  return 0;
}

// The comment tag of facemirror's mirrored videos, read from any video given to `aus`: it is
// accepted exactly when it is what mirrored_comment() writes or the tag earlier versions wrote
// (the same followed by "; segment_frames=N", N a positive int as std::to_string writes it).
#include <string>

#include "fuzz_support.h"
#include "pipeline/mirror_tag.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace facemirror::detail;
  const std::string comment(reinterpret_cast<const char*>(data), size);
  if (!is_mirrored_face(comment))
    return 0;
  const std::string tag = mirrored_comment();
  const std::string prefix = tag + "; segment_frames=";
  if (comment == tag)
    return 0;
  facemirror::fuzz::check(comment.rfind(prefix, 0) == 0);
  const std::string digits = comment.substr(prefix.size());
  facemirror::fuzz::check(!digits.empty() && digits.size() <= 9);
  for (const char c : digits)
    facemirror::fuzz::check(c >= '0' && c <= '9');
  const long long frames = std::stoll(digits);
  facemirror::fuzz::check(frames > 0 && std::to_string(frames) == digits);
  return 0;
}

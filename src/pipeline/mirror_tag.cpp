#include "mirror_tag.h"

#include <string_view>

namespace facemirror::detail {
namespace {

constexpr std::string_view mirrored_tag = "facemirror mirrored face";
// Earlier versions cut the mirrored faces' analysis into segments and recorded their length.
constexpr std::string_view segmented_suffix = "; segment_frames=";

}  // namespace

std::string mirrored_comment() {
  return std::string(mirrored_tag);
}

bool is_mirrored_face(const std::string& comment) {
  if (comment == mirrored_tag)
    return true;
  const std::string prefix = std::string(mirrored_tag) + std::string(segmented_suffix);
  if (comment.rfind(prefix, 0) != 0)
    return false;
  const std::string digits = comment.substr(prefix.size());
  // Only the digits std::to_string wrote: no sign, no leading zero, at most 9 (an int).
  return !digits.empty() && digits.size() <= 9 && digits[0] != '0' &&
         digits.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace facemirror::detail

#include "mirror_tag.h"

#include <string_view>

namespace facemirror::detail {
namespace {

constexpr std::string_view mirrored_tag = "facemirror mirrored face; segment_frames=";

}  // namespace

std::string mirrored_comment(int segment_frames) {
  return std::string(mirrored_tag) + std::to_string(segment_frames);
}

std::optional<int64_t> mirrored_segment_frames(const std::string& comment) {
  if (comment.rfind(mirrored_tag, 0) != 0)
    return std::nullopt;
  const std::string digits = comment.substr(mirrored_tag.size());
  // Only the digits std::to_string writes: no sign, no leading zero, at most 9 (an int).
  if (digits.empty() || digits.size() > 9 || digits[0] == '0' ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const int64_t frames = std::stoll(digits);
  return frames > 0 ? std::optional<int64_t>(frames) : std::nullopt;
}

}  // namespace facemirror::detail

#pragma once
// The container comment tag of the mirror job's mirrored videos. It tells `aus` to cut such a
// video where the mirror job did and to start each segment's tracking cold, as the mirror job's
// in-pass analysis does: the re-analysis then gives the in-pass CSV byte for byte.
//
// The tag is read from any video given to `aus`, so mirrored_segment_frames() parses outside
// data: it accepts exactly what mirrored_comment() writes and nothing else (fuzzed by
// fuzz/fuzz_mirror_tag.cpp).

#include <cstdint>
#include <optional>
#include <string>

namespace facemirror::detail {

/// The tag for a mirrored video written in segments of `segment_frames` frames.
[[nodiscard]] std::string mirrored_comment(int segment_frames);

/// The segment length a mirrored video was written with; nullopt for any other comment
/// (another program's, a malformed or a non-positive length).
[[nodiscard]] std::optional<int64_t> mirrored_segment_frames(const std::string& comment);

}  // namespace facemirror::detail

#pragma once
// The container comment tag of the mirror job's mirrored videos. A mirrored face's AUs are what
// a patient's left and right sides are compared on, so they must not depend on how the work was
// cut: the mirror job measures each mirrored video as one continuous track (OpenFace's; run as
// chained segments, batch.h), and `aus` does the same on any video carrying the tag, so the
// re-analysis gives the in-pass CSV byte for byte whatever `--segment-frames` either run got.
//
// The tag is read from any video given to `aus`, so is_mirrored_face() parses outside data: it
// accepts exactly what mirrored_comment() writes, or the tag earlier versions wrote
// ("facemirror mirrored face; segment_frames=N", N as std::to_string writes a positive int;
// the files in shared/videos/mirrored carry it), and nothing else (fuzzed by
// fuzz/fuzz_mirror_tag.cpp).

#include <string>

namespace facemirror::detail {

/// The tag of a mirrored video.
[[nodiscard]] std::string mirrored_comment();

/// Whether a video's comment marks it as a mirrored video facemirror wrote (this version's tag
/// or an earlier version's); false for any other comment.
[[nodiscard]] bool is_mirrored_face(const std::string& comment);

}  // namespace facemirror::detail

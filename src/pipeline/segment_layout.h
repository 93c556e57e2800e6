#pragma once
// Where a video's segments start. Every segment but the first costs a cold start (a face
// detection, the tracker's warm-up, a seek that decodes from the key frame before it), and
// where its cold start disagrees with the track that came through, the video's track is carried
// through it on one worker and the cold segment's work is thrown away. A short last segment
// buys little parallel work for that price: a 288-frame 4K video cut 240 + 48 ran its track
// sequentially while the 48-frame cold start decoded and fitted beside it (2 workers,
// interleaved: 11.4-13.2 s, 852 MB), against 9.8-10.5 s and 529 MB as one segment, the same CSV
// bytes.
//
// The layout depends only on the frame count and the segment length, never on the worker
// count, so the output stays the same bytes for any number of workers. The order in which
// videos start changes no byte either; it decides how the run ends (start_order).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "facemirror/io/video_reader.h"

namespace facemirror::detail {

/// How many of the video's frames are analysed when every `frame_stride`-th is (frames 0, N,
/// 2N, ... of the container): the count segments are cut from. `frame_stride` >= 1.
[[nodiscard]] inline int64_t analysed_frames(const video_info& info, int frame_stride) {
  return (info.frame_count() + frame_stride - 1) / frame_stride;
}

/// Segment boundaries [0, b1, ..., frame_count]: segment s is frames [b[s], b[s + 1]).
/// Segments of `segment_frames`, except the last, which takes the remainder, or the remainder
/// plus `segment_frames` when the remainder is shorter than half a segment (no segment is
/// shorter than half a segment unless the whole video is). `segment_frames` must be positive.
[[nodiscard]] std::vector<int64_t> segment_boundaries(int64_t frame_count, int64_t segment_frames);

/// The longest segment of a layout from segment_boundaries() (0 for none).
[[nodiscard]] int64_t longest_segment(const std::vector<int64_t>& bounds);

/// The order in which a batch's videos start, given each one's longest segment: longest first,
/// ties in input order (longest-processing-time-first). A segment runs on one worker from start
/// to end and a short video is one segment, so a batch in input order could end with one core
/// idle while the other finishes a long segment queued last (the mirror job on the six shared
/// videos: subj02's 148 frames tracked, mirrored and encoded alone for its last ~2.5 s).
[[nodiscard]] std::vector<size_t> start_order(const std::vector<int64_t>& longest_segments);

}  // namespace facemirror::detail

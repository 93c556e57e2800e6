#include "segment_layout.h"

#include "facemirror/error.h"

namespace facemirror::detail {

std::vector<int64_t> segment_boundaries(int64_t frame_count, int64_t segment_frames) {
  FACEMIRROR_CHECK(segment_frames > 0, "segment_boundaries: segment_frames must be positive");
  std::vector<int64_t> bounds{0};
  // A boundary is placed only where at least half a segment follows it.
  while (frame_count - (bounds.back() + segment_frames) >= (segment_frames + 1) / 2)
    bounds.push_back(bounds.back() + segment_frames);
  bounds.push_back(frame_count);
  return bounds;
}

}  // namespace facemirror::detail

#include "segment_layout.h"

#include <algorithm>
#include <numeric>

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

int64_t longest_segment(const std::vector<int64_t>& bounds) {
  int64_t longest = 0;
  for (size_t s = 0; s + 1 < bounds.size(); ++s)
    longest = std::max(longest, bounds[s + 1] - bounds[s]);
  return longest;
}

std::vector<size_t> start_order(const std::vector<int64_t>& longest_segments) {
  std::vector<size_t> order(longest_segments.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return longest_segments[a] > longest_segments[b]; });
  return order;
}

}  // namespace facemirror::detail

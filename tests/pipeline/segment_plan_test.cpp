// How an analysis is cut into segments (src/pipeline/batch.h): equal lengths for the workers,
// never more than --segment-frames, and a function of the frame count alone.
#include <gtest/gtest.h>

#include "batch.h"

namespace facemirror::detail {
namespace {

TEST(equal_segment_frames, a_short_video_splits_evenly) {
  EXPECT_EQ(equal_segment_frames(288, 240), 144);  // default.wmv: not 240 + 48
  EXPECT_EQ(equal_segment_frames(481, 240), 161);  // 161 + 161 + 159
  EXPECT_EQ(equal_segment_frames(240, 240), 240);
  EXPECT_EQ(equal_segment_frames(100, 240), 100);
  EXPECT_EQ(equal_segment_frames(1, 240), 1);
  EXPECT_EQ(equal_segment_frames(0, 240), 240);
}

TEST(equal_segment_frames, never_longer_and_never_more_segments_than_the_cap_needs) {
  for (int64_t cap : {1, 7, 30, 240}) {
    for (int64_t frames = 1; frames <= 2000; ++frames) {
      const int64_t length = equal_segment_frames(frames, cap);
      const int64_t count = (frames + length - 1) / length;
      ASSERT_LE(length, cap) << frames << " frames, cap " << cap;
      ASSERT_EQ(count, (frames + cap - 1) / cap) << frames << " frames, cap " << cap;
      // The last segment is within `count` frames of the others.
      ASSERT_GT(frames - (count - 1) * length, length - count) << frames << ", cap " << cap;
    }
  }
}

}  // namespace
}  // namespace facemirror::detail

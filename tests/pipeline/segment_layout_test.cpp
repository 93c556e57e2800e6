#include "segment_layout.h"

#include <gtest/gtest.h>

#include "facemirror/error.h"

namespace facemirror::detail {
namespace {

using bounds = std::vector<int64_t>;

TEST(SegmentLayout, CutsWholeSegmentsAndKeepsALongEnoughRemainder) {
  EXPECT_EQ(segment_boundaries(842, 240), (bounds{0, 240, 480, 720, 842}));  // 122 >= 120
  EXPECT_EQ(segment_boundaries(960, 240), (bounds{0, 240, 480, 720, 960}));
  // multi_face with --segment-frames 30: 23 x 30 + 12, the 12 merged: 22 x 30 + 42.
  const bounds multi_face = segment_boundaries(702, 30);
  ASSERT_EQ(multi_face.size(), 24u);
  EXPECT_EQ(multi_face[22], 660);
  EXPECT_EQ(multi_face[23], 702);
}

TEST(SegmentLayout, MergesARemainderShorterThanHalfASegment) {
  // The 4K default.wmv: 240 + 48 would pay a cold start for 48 frames.
  EXPECT_EQ(segment_boundaries(288, 240), (bounds{0, 288}));
  EXPECT_EQ(segment_boundaries(359, 240), (bounds{0, 359}));
  EXPECT_EQ(segment_boundaries(360, 240), (bounds{0, 240, 360}));
  EXPECT_EQ(segment_boundaries(838, 240), (bounds{0, 240, 480, 838}));
  // Odd lengths: half of 31 rounds up to 16.
  EXPECT_EQ(segment_boundaries(46, 31), (bounds{0, 46}));
  EXPECT_EQ(segment_boundaries(47, 31), (bounds{0, 31, 47}));
}

TEST(SegmentLayout, ShortVideosAndTinySegments) {
  EXPECT_EQ(segment_boundaries(88, 240), (bounds{0, 88}));
  EXPECT_EQ(segment_boundaries(1, 240), (bounds{0, 1}));
  EXPECT_EQ(segment_boundaries(3, 1), (bounds{0, 1, 2, 3}));
  EXPECT_THROW((void)segment_boundaries(10, 0), error);
}

TEST(SegmentLayout, EverySegmentButASoleOneIsAtLeastHalfASegment) {
  for (int64_t length : {1, 2, 7, 30, 31, 240}) {
    for (int64_t frames = 1; frames < 5 * length + 3; ++frames) {
      const bounds b = segment_boundaries(frames, length);
      ASSERT_EQ(b.front(), 0);
      ASSERT_EQ(b.back(), frames);
      const int64_t half = (length + 1) / 2;
      for (size_t s = 0; s + 1 < b.size(); ++s) {
        const int64_t size = b[s + 1] - b[s];
        const bool last = s + 2 == b.size();
        ASSERT_LE(size, last ? length + half - 1 : length) << frames << " frames, " << length;
        if (b.size() > 2) {
          ASSERT_GE(size, half) << frames << " frames, length " << length;
        }
      }
    }
  }
}

TEST(SegmentLayout, LongestSegmentOfALayout) {
  EXPECT_EQ(longest_segment(segment_boundaries(842, 240)), 240);
  EXPECT_EQ(longest_segment(segment_boundaries(288, 240)), 288);  // the tail joined
  EXPECT_EQ(longest_segment(segment_boundaries(148, 240)), 148);
  EXPECT_EQ(longest_segment({}), 0);
}

TEST(SegmentLayout, VideosStartLongestSegmentFirstTiesInInputOrder) {
  // The six shared videos in the README's order: default (288, one segment), changeLighting
  // (88), 2015-10-15-15-14 (842: 240s), multi_face (702: 240s), subj01 (158), subj02 (148).
  const std::vector<int64_t> longest{288, 88, 240, 240, 158, 148};
  EXPECT_EQ(start_order(longest), (std::vector<size_t>{0, 2, 3, 4, 5, 1}));
  EXPECT_EQ(start_order({5, 5, 5}), (std::vector<size_t>{0, 1, 2}));
  EXPECT_TRUE(start_order({}).empty());
  // A batch of 40 videos of two lengths: the longer ones first, each group in input order (a
  // sort that is not stable reorders groups this large).
  std::vector<int64_t> two_lengths;
  std::vector<size_t> expected_long, expected_short;
  for (size_t i = 0; i < 40; ++i) {
    two_lengths.push_back(i % 3 == 0 ? 240 : 120);
    (i % 3 == 0 ? expected_long : expected_short).push_back(i);
  }
  expected_long.insert(expected_long.end(), expected_short.begin(), expected_short.end());
  EXPECT_EQ(start_order(two_lengths), expected_long);
}

}  // namespace
}  // namespace facemirror::detail

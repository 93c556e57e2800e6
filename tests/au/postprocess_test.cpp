#include <gtest/gtest.h>

#include "facemirror/au/au_postprocess.h"

namespace facemirror {
namespace {

TEST(PostprocessIntensity, StaticModelsOnlyClampAndSmooth) {
  const std::vector<double> raw = {-1.0, 2.0, 7.0, 1.0, 3.0};
  const std::vector<uint8_t> ok(5, 1);
  const auto out = postprocess_intensity(raw, ok, -1.0);
  // clamp first: {0, 2, 5, 1, 3}; then 3-frame mean inside, ends untouched
  EXPECT_DOUBLE_EQ(out[0], 0.0);
  EXPECT_DOUBLE_EQ(out[1], 7.0 / 3);
  EXPECT_DOUBLE_EQ(out[2], 8.0 / 3);
  EXPECT_DOUBLE_EQ(out[3], 3.0);
  EXPECT_DOUBLE_EQ(out[4], 3.0);
}

TEST(PostprocessIntensity, ShiftUsesRawUnclippedPercentileOfSuccessfulFrames) {
  // Successful raw values sorted: {-2, -1, 0.5, 1, 4}; cutoff 0.4 -> index (int)(5*0.4)=2.
  // The failed frame's huge value must not enter the percentile.
  const std::vector<double> raw = {1.0, -2.0, 100.0, 0.5, 4.0, -1.0};
  const std::vector<uint8_t> ok = {1, 1, 0, 1, 1, 1};
  const auto out = postprocess_intensity(raw, ok, 0.4);
  // shifted by 0.5 then clamped: {0.5, 0, (failed) 0, 0, 3.5, 0}
  const std::vector<double> shifted = {0.5, 0.0, 0.0, 0.0, 3.5, 0.0};
  EXPECT_DOUBLE_EQ(out[0], shifted[0]);
  for (size_t i = 1; i + 1 < raw.size(); ++i)
    EXPECT_DOUBLE_EQ(out[i], (shifted[i - 1] + shifted[i] + shifted[i + 1]) / 3) << i;
  EXPECT_DOUBLE_EQ(out[5], shifted[5]);
}

TEST(PostprocessIntensity, ShiftHappensBeforeTheClampAtFive) {
  // cutoff 0 -> offset = the smallest raw value, 1; clamping first would give 5 - 1 = 4.
  const auto out = postprocess_intensity({6.0, 1.0, 1.0}, {1, 1, 1}, 0.0);
  EXPECT_DOUBLE_EQ(out[0], 5.0);
  EXPECT_DOUBLE_EQ(out[1], 5.0 / 3);
}

TEST(PostprocessIntensity, ShortAndEmptyTracks) {
  EXPECT_TRUE(postprocess_intensity({}, {}, 0.5).empty());
  const auto one = postprocess_intensity({2.5}, {1}, 0.5);  // shifted by itself
  EXPECT_DOUBLE_EQ(one[0], 0.0);
  const auto none_ok = postprocess_intensity({2.5, 3.0}, {0, 0}, 0.5);
  EXPECT_EQ(none_ok, (std::vector<double>{0.0, 0.0}));
}

TEST(PostprocessPresence, SevenFrameMajorityWithEdgesKept) {
  const std::vector<double> c = {1, 0, 0, 1, 1, 1, 0, 1, 0, 0};
  const std::vector<uint8_t> ok(c.size(), 1);
  const auto out = postprocess_presence(c, ok);
  EXPECT_EQ(out[0], 1.0);  // first three and last three untouched
  EXPECT_EQ(out[1], 0.0);
  EXPECT_EQ(out[2], 0.0);
  EXPECT_EQ(out[3], 1.0);  // frames 0..6: 4 of 7
  EXPECT_EQ(out[4], 1.0);  // 1..7: 4 of 7
  EXPECT_EQ(out[5], 1.0);  // 2..8: 4 of 7
  EXPECT_EQ(out[6], 1.0);  // 3..9: 4 of 7 (uses unsmoothed inputs)
  EXPECT_EQ(out[7], 1.0);
  EXPECT_EQ(out[9], 0.0);
}

TEST(PostprocessPresence, FailedFramesAreZero) {
  const std::vector<double> c(9, 1.0);
  std::vector<uint8_t> ok(9, 1);
  ok[0] = 0;
  ok[4] = 0;
  const auto out = postprocess_presence(c, ok);
  EXPECT_EQ(out[0], 0.0);
  EXPECT_EQ(out[4], 1.0);  // smoothing outvotes a lone failure, as in OpenFace
}

}  // namespace
}  // namespace facemirror

#include "wire.h"

#include <gtest/gtest.h>

namespace facemirror::detail {
namespace {

analysed_frame sample(int64_t index, bool with_features) {
  analysed_frame f;
  f.record.index = index;
  f.record.timestamp_s = 0.1 * static_cast<double>(index);
  f.record.confidence = 0.93;
  f.record.success = index % 2 == 0;
  f.record.pose = {1, 2, 3, 0.1, 0.2, 0.3};
  for (int i = 0; i < landmark_count; ++i) {
    f.record.landmarks[i] = {i * 1.5, i * 2.25};
    f.record.landmarks_mm[i] = {-i * 1.0, i * 0.5, 400.0 + i};
  }
  f.record.params.scale = 1.25;
  f.record.params.local = {0.5, -1.5, 1e-300};
  if (with_features) {
    au_features a;
    a.success = true;
    a.hog = {0.25f, 0.5f, 1.0f / 3.0f};
    a.geometry = {1.0 / 7.0, -2.0};
    a.params = f.record.params;
    f.features = a;
  }
  return f;
}

TEST(wire_test, round_trip_is_exact) {
  std::vector<analysed_frame> frames = {sample(0, true), sample(1, false), sample(2, true)};
  std::string bytes;
  encode_frames(frames, bytes);
  const auto back = decode_frames(bytes);
  ASSERT_EQ(back.size(), frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    const auto& a = frames[i];
    const auto& b = back[i];
    EXPECT_EQ(a.record.index, b.record.index);
    EXPECT_EQ(a.record.timestamp_s, b.record.timestamp_s);
    EXPECT_EQ(a.record.success, b.record.success);
    EXPECT_EQ(a.record.landmarks, b.record.landmarks);
    EXPECT_EQ(a.record.landmarks_mm, b.record.landmarks_mm);
    EXPECT_EQ(a.record.params.local, b.record.params.local);
    EXPECT_EQ(a.record.pose.rz, b.record.pose.rz);
    ASSERT_EQ(a.features.has_value(), b.features.has_value());
    if (a.features) {
      EXPECT_EQ(a.features->hog, b.features->hog);
      EXPECT_EQ(a.features->geometry, b.features->geometry);
      EXPECT_EQ(a.features->params.scale, b.features->params.scale);
    }
  }
}

TEST(wire_test, truncated_buffer_is_rejected) {
  std::string bytes;
  encode_frames({sample(0, true)}, bytes);
  bytes.resize(bytes.size() - 3);
  EXPECT_THROW((void)decode_frames(bytes), std::runtime_error);
  std::string extra;
  encode_frames({sample(0, false)}, extra);
  extra.push_back('x');
  EXPECT_THROW((void)decode_frames(extra), std::runtime_error);
}

}  // namespace
}  // namespace facemirror::detail

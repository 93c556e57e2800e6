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
  f.record.params = {1.25, 0.1, -0.2, 0.3, 320.5, 240.25, {}};
  f.record.params.local = {0.5, -1.5, 1e-300};
  f.record.eyes.gaze = {{0.25, 0.125, -0.96}, {0.05, 1.0 / 3.0, -0.99}, 0.155, -0.097};
  f.record.eyes.landmarks[55] = {191.5 + index, 271.25};
  f.record.eyes.landmarks_mm[3] = {-24.4, -13.2, 326.9 + index};
  if (with_features) {
    au_features a;
    a.success = true;
    a.hog = {0.25f, 0.5f, 1.0f / 3.0f};
    a.geometry = {1.0 / 7.0, -2.0};
    a.params = f.record.params;
    f.features = a;
    // The aligned face (OpenFace's -simalign output) travels with its features; a view into a
    // larger image checks that only its own pixels do.
    cv::Mat frame(6, 9, CV_8UC3);
    cv::randu(frame, 0, 256);
    f.aligned_face = frame(cv::Rect(2, 1, 5, 4));
  }
  return f;
}

void expect_same_params(const pdm_params& a, const pdm_params& b) {
  EXPECT_EQ(a.scale, b.scale);
  EXPECT_EQ(a.rx, b.rx);
  EXPECT_EQ(a.ry, b.ry);
  EXPECT_EQ(a.rz, b.rz);
  EXPECT_EQ(a.tx, b.tx);
  EXPECT_EQ(a.ty, b.ty);
  EXPECT_EQ(a.local, b.local);
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
    EXPECT_EQ(a.record.confidence, b.record.confidence);
    EXPECT_EQ(a.record.success, b.record.success);
    EXPECT_EQ(a.record.landmarks, b.record.landmarks);
    EXPECT_EQ(a.record.landmarks_mm, b.record.landmarks_mm);
    expect_same_params(a.record.params, b.record.params);
    EXPECT_EQ(a.record.pose.rz, b.record.pose.rz);
    EXPECT_EQ(a.record.eyes.gaze.eye_1, b.record.eyes.gaze.eye_1);
    EXPECT_EQ(a.record.eyes.gaze.angle_y, b.record.eyes.gaze.angle_y);
    EXPECT_EQ(a.record.eyes.landmarks, b.record.eyes.landmarks);
    EXPECT_EQ(a.record.eyes.landmarks_mm, b.record.eyes.landmarks_mm);
    ASSERT_EQ(a.features.has_value(), b.features.has_value());
    if (a.features) {
      EXPECT_EQ(a.features->hog, b.features->hog);
      EXPECT_EQ(a.features->geometry, b.features->geometry);
      EXPECT_EQ(a.features->success, b.features->success);
      expect_same_params(a.features->params, b.features->params);
    }
    ASSERT_EQ(a.aligned_face.size(), b.aligned_face.size());
    EXPECT_EQ(a.aligned_face.type(), b.aligned_face.type());
    if (!a.aligned_face.empty()) {
      EXPECT_EQ(cv::norm(a.aligned_face, b.aligned_face, cv::NORM_INF), 0.0);
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

landmark_session::state sample_state() {
  // Every field away from its default, so a field the wire drops on both sides shows.
  landmark_session::state s;
  s.tracker.tracking = true;
  s.tracker.has_previous = true;
  s.tracker.lost_frames = 3;
  s.tracker.box = {10.5, 20.25, 100, 120};
  s.tracker.previous[7] = {1.0 / 3.0, 2.0};
  s.clnf.has_previous = true;
  s.clnf.previous = {0.75, 0.1, -0.2, 0.3, 320.5, 240.25, {}};
  s.clnf.previous.local = {1e-17, -2.5};
  s.last[67] = {400.125, 300.5};
  s.tracking = true;
  s.failures = 4;
  s.accepted = true;
  s.fit_params = s.clnf.previous;
  s.confidence = 0.875;
  s.eyes[1].fitted = true;
  s.eyes[1].landmarks[27] = {300.125, 200.5};
  s.eyes[1].model_shape[0] = {1.0 / 3.0, -2.0, 7.5};
  s.eyes[1].scale = 1.5;
  s.eyes[1].rz = -0.25;
  return s;
}

void expect_same_state(const landmark_session::state& a, const landmark_session::state& b) {
  EXPECT_EQ(a.tracker.tracking, b.tracker.tracking);
  EXPECT_EQ(a.tracker.has_previous, b.tracker.has_previous);
  EXPECT_EQ(a.tracker.lost_frames, b.tracker.lost_frames);
  EXPECT_EQ(a.tracker.box, b.tracker.box);
  EXPECT_EQ(a.tracker.previous, b.tracker.previous);
  EXPECT_EQ(a.clnf.has_previous, b.clnf.has_previous);
  expect_same_params(a.clnf.previous, b.clnf.previous);
  EXPECT_EQ(a.last, b.last);
  EXPECT_EQ(a.tracking, b.tracking);
  EXPECT_EQ(a.failures, b.failures);
  EXPECT_EQ(a.accepted, b.accepted);
  ASSERT_EQ(a.fit_params.has_value(), b.fit_params.has_value());
  expect_same_params(*a.fit_params, *b.fit_params);
  EXPECT_EQ(a.confidence, b.confidence);
  for (size_t e = 0; e < a.eyes.size(); ++e) {
    EXPECT_EQ(a.eyes[e].fitted, b.eyes[e].fitted);
    EXPECT_EQ(a.eyes[e].landmarks, b.eyes[e].landmarks);
    EXPECT_EQ(a.eyes[e].model_shape, b.eyes[e].model_shape);
    EXPECT_EQ(a.eyes[e].scale, b.eyes[e].scale);
    EXPECT_EQ(a.eyes[e].rz, b.eyes[e].rz);
  }
}

// A carried task crosses to a worker process with the whole tracking state: anything lost on
// the way would make process mode's bytes differ from thread mode's.
TEST(wire_test, carried_task_round_trip_is_exact) {
  segment_task task{3, 7, 140, 160, 4, 1, nullptr, "/videos/late input.mp4", -2};
  auto carried = std::make_shared<handover>();
  carried->state = sample_state();
  carried->before = {sample(138, false), sample(139, false)};
  carried->reference = {sample(140, false)};
  task.carried = carried;
  std::string bytes;
  encode_task(task, bytes);
  const segment_task back = decode_task(bytes);
  EXPECT_EQ(back.video, 3u);
  EXPECT_EQ(back.segment, 7);
  EXPECT_EQ(back.first_frame, 140);
  EXPECT_EQ(back.end_frame, 160);
  EXPECT_EQ(back.frame_stride, 4);
  EXPECT_EQ(back.attempt, 1);
  EXPECT_EQ(back.late_input, task.late_input);
  EXPECT_EQ(back.start_offset_ulps, -2);  // a consensus draw's
  ASSERT_NE(back.carried, nullptr);
  expect_same_state(back.carried->state, carried->state);
  ASSERT_EQ(back.carried->before.size(), 2u);
  EXPECT_EQ(back.carried->before[1].record.landmarks, carried->before[1].record.landmarks);
  ASSERT_EQ(back.carried->reference.size(), 1u);
  EXPECT_EQ(back.carried->reference[0].record.index, 140);

  std::string cold;
  encode_task({0, 0, 0, 20, 1, 0, nullptr, ""}, cold);
  EXPECT_EQ(decode_task(cold).carried, nullptr);
}

TEST(wire_test, segment_output_round_trip_is_exact) {
  segment_output out;
  out.frames = {sample(20, true), sample(21, true)};
  out.lead_in = sample(19, false).record;
  out.end_state = sample_state();
  out.handover_frame = 22;
  std::string bytes;
  encode_segment(out, bytes);
  const segment_output back = decode_segment(bytes);
  ASSERT_EQ(back.frames.size(), 2u);
  EXPECT_EQ(back.frames[1].features->hog, out.frames[1].features->hog);
  ASSERT_TRUE(back.lead_in.has_value());
  EXPECT_EQ(back.lead_in->landmarks, out.lead_in->landmarks);
  expect_same_state(back.end_state, out.end_state);
  EXPECT_EQ(back.handover_frame, 22);
}

TEST(handover_test, tracks_agree_within_the_tolerance_or_before_any_face) {
  frame_record a = sample(5, false).record;
  a.success = true;
  frame_record b = a;
  EXPECT_TRUE(tracks_agree(a, b, handover_max_px));
  for (auto& p : b.landmarks)
    p.x += 0.9 * handover_max_px;
  EXPECT_TRUE(tracks_agree(a, b, handover_max_px));
  for (auto& p : b.landmarks)
    p.x += 0.2 * handover_max_px;
  EXPECT_FALSE(tracks_agree(a, b, handover_max_px));
  // A track that lost its face never agrees with one that follows it, however close the
  // landmarks it reports (the last accepted ones).
  b = a;
  b.success = false;
  EXPECT_FALSE(tracks_agree(a, b, handover_max_px));
  // Neither has seen a face yet: the same state.
  frame_record none;
  EXPECT_TRUE(tracks_agree(none, none, handover_max_px));
  EXPECT_FALSE(tracks_agree(none, a, handover_max_px));
}

}  // namespace
}  // namespace facemirror::detail

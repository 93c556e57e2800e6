#include <random>

#include <gtest/gtest.h>

#include "facemirror/au/au_engine.h"

#include "support/test_data.h"

namespace facemirror {
namespace {

std::shared_ptr<const au_model_set> dynamic_models() {
  static const auto models = au_model_set::load(
      *test::shared_dir() / "models/openface/AU_predictors", au_model_set::kind::dynamic);
  return models;
}

std::vector<au_features> random_video(unsigned seed, int frames, double fail_rate) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> hog(0.0f, 0.4f);
  std::normal_distribution<double> geom(0.0, 4.0);
  std::bernoulli_distribution fail(fail_rate);
  std::vector<au_features> out(frames);
  for (auto& f : out) {
    f.success = !fail(rng);
    f.hog.resize(4464);
    for (auto& v : f.hog)
      v = hog(rng);
    f.geometry.resize(238);
    for (auto& v : f.geometry)
      v = geom(rng);
  }
  return out;
}

std::vector<au_values> run(au_video_predictor& p, const std::vector<au_features>& video) {
  for (const auto& f : video)
    p.add_frame(f);
  return p.finish();
}

void expect_same(const std::vector<au_values>& a, const std::vector<au_values>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].intensity, b[i].intensity) << "frame " << i;
    EXPECT_EQ(a[i].presence, b[i].presence) << "frame " << i;
  }
}

TEST(AuVideoPredictor, SecondVideoIsIndependentOfTheFirst) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto a = random_video(1, 41, 0.1), b = random_video(2, 30, 0.2);
  au_video_predictor reused(dynamic_models());
  (void)run(reused, a);
  const auto b_after_a = run(reused, b);
  au_video_predictor fresh(dynamic_models());
  expect_same(b_after_a, run(fresh, b));

  // Two predictors over one model set, interleaved frame by frame.
  au_video_predictor p(dynamic_models()), q(dynamic_models());
  for (size_t i = 0; i < b.size(); ++i) {
    p.add_frame(b[i]);
    q.add_frame(a[i]);
  }
  expect_same(p.finish(), b_after_a);
}

TEST(AuVideoPredictor, ShapesRangesAndFailedFrames) {
  FACEMIRROR_REQUIRE_SHARED();
  auto video = random_video(3, 25, 0.0);
  video[0].success = video[1].success = video[12].success = false;  // first frames fail
  au_video_predictor p(dynamic_models());
  const auto out = run(p, video);
  ASSERT_EQ(out.size(), video.size());
  for (const auto& v : out) {
    ASSERT_EQ(v.intensity.size(), 17u);
    ASSERT_EQ(v.presence.size(), 18u);
    for (double x : v.intensity)
      EXPECT_TRUE(x >= 0.0 && x <= 5.0);
    for (double x : v.presence)
      EXPECT_TRUE(x == 0.0 || x == 1.0);
  }
  for (double x : out[0].intensity)
    EXPECT_EQ(x, 0.0);            // failed, and an end frame
  EXPECT_EQ(p.frame_count(), 0);  // finish() reset it
}

TEST(AuVideoPredictor, SingleFrameAndEmptyVideo) {
  FACEMIRROR_REQUIRE_SHARED();
  au_video_predictor p(dynamic_models());
  EXPECT_TRUE(p.finish().empty());
  const auto one = run(p, random_video(4, 1, 0.0));
  ASSERT_EQ(one.size(), 1u);
  // A lone frame is its own median and its own cutoff percentile: dynamic AUs are 0.
  for (double x : one[0].intensity)
    EXPECT_GE(x, 0.0);
}

TEST(AuVideoPredictor, MedianUpdatesOnEvenFramesOnly) {
  FACEMIRROR_REQUIRE_SHARED();
  auto video = random_video(5, 4, 0.0);
  au_video_predictor p(dynamic_models());
  p.add_frame(video[0]);
  const auto after0 = p.geometry_median();
  EXPECT_EQ(after0, video[0].geometry);  // one counted frame: the median is that frame
  p.add_frame(video[1]);
  EXPECT_EQ(p.geometry_median(), after0);  // odd frame: no update
  p.add_frame(video[2]);
  EXPECT_NE(p.geometry_median(), after0);
}

TEST(AuVideoPredictor, HogMedianIsClampedAtZero) {
  FACEMIRROR_REQUIRE_SHARED();
  // The HOG histogram's range starts below zero, so the median of zeros is a bin centre under
  // zero; OpenFace sets negative medians to 0 after every update (on default.wmv it flips
  // AU45_c on a frame when it does not).
  auto video = random_video(6, 3, 0.0);
  for (auto& f : video)
    std::fill(f.hog.begin(), f.hog.end(), 0.0f);
  au_video_predictor p(dynamic_models());
  for (const auto& f : video)
    p.add_frame(f);  // frames 0 and 2 update: two counted, so the histogram's median
  ASSERT_EQ(p.hog_median().size(), video[0].hog.size());
  for (double v : p.hog_median())
    ASSERT_EQ(v, 0.0);
}

}  // namespace
}  // namespace facemirror

#include "facemirror/au/running_median.h"

#include <random>

#include <gtest/gtest.h>

namespace facemirror {
namespace {

// OpenFace's UpdateRunningMedian written naively: full histogram rescan on every call.
struct naive_median {
  int dims, bins;
  double min, length;
  std::vector<int> hist;
  std::vector<double> median;
  int count = 0;
  bool started = false;

  void update(const std::vector<double>& d, bool add) {
    if (!started) {
      started = true;
      hist.assign(dims * bins, 0);
      median = d;
    }
    if (add) {
      for (int i = 0; i < dims; ++i) {
        double b = d[i] * (bins * (1.0 / length)) + (-min * bins * (1.0 / length));
        b = std::min<double>(b, bins - 1);
        b = std::max(b, 0.0);
        ++hist[i * bins + static_cast<int>(b)];
      }
      ++count;
    }
    if (count == 1) {
      median = d;
      return;
    }
    const int cutoff = (count + 1) / 2;
    for (int i = 0; i < dims; ++i) {
      int cum = 0;
      for (int j = 0; j < bins; ++j) {
        cum += hist[i * bins + j];
        if (cum >= cutoff) {
          median[i] = min + j * (length / bins) + 0.5 * length / bins;
          break;
        }
      }
    }
  }
};

TEST(RunningMedian, MatchesFullRescanOnRandomSequences) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    const int dims = 5, bins = 50;
    running_median fast(dims, bins, -1.0, 1.0);
    naive_median slow{dims, bins, -1.0, 2.0, {}, {}, 0, false};
    std::normal_distribution<double> value(0.1 * (trial % 3) - 0.1, 0.3 + 0.05 * trial);
    std::bernoulli_distribution ok(trial % 4 == 0 ? 0.5 : 0.9);
    for (int frame = 0; frame < 300; ++frame) {
      std::vector<double> d(dims);
      for (auto& v : d)
        v = value(rng) + (frame > 150 ? 0.4 : 0.0);  // drift moves the median
      const bool add = ok(rng);
      fast.update(d.data(), add);
      slow.update(d, add);
      ASSERT_EQ(fast.count(), slow.count);
      for (int i = 0; i < dims; ++i)
        ASSERT_DOUBLE_EQ(fast.median()[i], slow.median[i]) << frame;
    }
  }
}

TEST(RunningMedian, SingleFrameIsTheDescriptor) {
  running_median m(3, 1000, -0.005, 1.0);
  const std::vector<double> d = {0.1234567, 0.0, 0.9};
  m.update(d.data(), true);
  EXPECT_EQ(m.count(), 1);
  EXPECT_EQ(m.median(), d);
}

TEST(RunningMedian, FailedFirstFramesGiveTheFirstBinCentre) {
  // OpenFace's quirk: nothing counted -> cutoff 0 -> the very first bin.
  running_median hog(2, 1000, -0.005, 1.0);
  const std::vector<double> d = {0.5, 0.25};
  hog.update(d.data(), false);
  EXPECT_EQ(hog.count(), 0);
  EXPECT_NEAR(hog.median()[0], -0.005 + 0.5 * 1.005 / 1000, 1e-15);
  running_median geom(1, 10000, -60, 60);
  const double g = 3.0;
  geom.update(&g, false);
  EXPECT_NEAR(geom.median()[0], -60 + 0.5 * 120.0 / 10000, 1e-12);
  // The first counted frame then becomes the median.
  geom.update(&g, true);
  EXPECT_EQ(geom.median()[0], 3.0);
}

TEST(RunningMedian, OneCountedThenFailedCopiesTheFailedDescriptor) {
  running_median m(1, 100, 0, 1);
  const double a = 0.3, b = 0.9;
  m.update(&a, true);
  m.update(&b, false);  // still one counted: OpenFace copies the current descriptor
  EXPECT_EQ(m.median()[0], 0.9);
}

TEST(RunningMedian, TwoValuesTakeTheLowerBin) {
  running_median m(1, 100, 0, 1);
  const double a = 0.805, b = 0.205;
  m.update(&a, true);
  m.update(&b, true);
  EXPECT_NEAR(m.median()[0], 0.205, 1e-12);  // cutoff (2+1)/2 = 1: the first value's bin
}

TEST(RunningMedian, OutOfRangeValuesClampToEndBins) {
  running_median m(1, 10, 0, 1);
  const double lo = -5, hi = 5;
  for (int i = 0; i < 3; ++i)
    m.update(&hi, true);
  m.update(&lo, true);
  EXPECT_NEAR(m.median()[0], 0.95, 1e-12);
}

TEST(RunningMedian, ResetForgetsEverything) {
  running_median m(1, 10, 0, 1);
  const double v = 0.55;
  m.update(&v, true);
  m.update(&v, true);
  m.reset();
  EXPECT_FALSE(m.started());
  EXPECT_EQ(m.count(), 0);
  EXPECT_TRUE(m.median().empty());
}

}  // namespace
}  // namespace facemirror

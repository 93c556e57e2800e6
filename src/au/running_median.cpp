// Incremental form of OpenFace's histogram running median.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "facemirror/au/running_median.h"
#include "facemirror/error.h"

namespace facemirror {

running_median::running_median(int dims, int bins, double min_value, double max_value)
    : dims_(dims), bins_(bins), min_(min_value) {
  FACEMIRROR_CHECK(dims > 0 && bins > 0 && max_value != min_value, "running_median: bad setup");
  length_ = max_value > min_value ? max_value - min_value : min_value - max_value;
  // OpenFace bins with the matrix expression (d - min) * bins / length, which OpenCV folds
  // into one scale and one offset; use the same two constants so values land in the same bins.
  scale_ = static_cast<double>(bins_) * (1.0 / length_);
  offset_ = -min_ * static_cast<double>(bins_) * (1.0 / length_);
}

void running_median::free_deleter::operator()(int32_t* p) const {
  std::free(p);
}

namespace {

int32_t* zeroed_counts(size_t n) {
  constexpr size_t huge_page = size_t{2} << 20;
  const size_t bytes = (n * sizeof(int32_t) + huge_page - 1) / huge_page * huge_page;
  void* p = nullptr;
  if (posix_memalign(&p, huge_page, bytes) != 0)
    throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  (void)madvise(p, bytes, MADV_HUGEPAGE);  // a hint; fine to fail
#endif
  std::memset(p, 0, bytes);
  return static_cast<int32_t*>(p);
}

}  // namespace

void running_median::reset() {
  started_ = false;
  count_ = 0;
  hist_.reset();
  bin_.clear();
  at_or_below_.clear();
  at_bin_.clear();
  new_bin_.clear();
  median_.clear();
}

inline int running_median::bin_of(double v) const {
  double b = v * scale_ + offset_;
  if (b > bins_ - 1)
    b = bins_ - 1;
  if (b < 0)
    b = 0;
  return static_cast<int>(b);  // truncation, as OpenFace
}

template <typename T>
void running_median::update(const T* descriptor, bool add) {
  if (!started_) {
    started_ = true;
    hist_.reset(zeroed_counts(static_cast<size_t>(dims_) * bins_));
    bin_.assign(dims_, 0);
    at_or_below_.assign(dims_, 0);
    at_bin_.assign(dims_, 0);
    new_bin_.assign(dims_, 0);
    median_.assign(descriptor, descriptor + dims_);
  }
  if (add) {
    ++count_;
    const int cutoff = (count_ + 1) / 2;
    // Two passes: the increments first, free of branches so that the CPU overlaps their
    // cache misses (one per dimension), then the per-dimension bookkeeping, which only
    // reads the histogram when a median moves.
    int32_t* const counts = hist_.get();
    int32_t* const new_bin = new_bin_.data();
    const int dims = dims_, bins = bins_;
    for (int i = 0; i < dims; ++i)
      new_bin[i] = bin_of(static_cast<double>(descriptor[i]));
    for (int i = 0; i < dims; ++i)
      ++counts[static_cast<size_t>(i) * bins + new_bin[i]];
    for (int i = 0; i < dims; ++i) {
      const int32_t* h = counts + static_cast<size_t>(i) * bins;
      const int v = new_bin[i];
      int b = bin_[i];
      int32_t le = at_or_below_[i] + (v <= b ? 1 : 0);
      int32_t at = at_bin_[i] + (v == b ? 1 : 0);
      // Smallest b with count(<= b) >= cutoff: move up while short of it, down while the
      // bins below already reach it.
      while (le < cutoff && b < bins - 1)
        le += (at = h[++b]);
      while (b > 0 && le - at >= cutoff) {
        le -= at;
        at = h[--b];
      }
      bin_[i] = b;
      at_or_below_[i] = le;
      at_bin_[i] = at;
    }
  }
  // Without a new count the cutoff and so the median bins are unchanged.
  if (count_ == 1) {
    // OpenFace's special case: the current descriptor, even when it was not counted.
    median_.assign(descriptor, descriptor + dims_);
  } else {
    write_median();
  }
}

void running_median::write_median() {
  const double step = length_ / bins_;
  const double half = 0.5 * length_ / bins_;
  for (int i = 0; i < dims_; ++i)
    median_[i] = min_ + static_cast<double>(bin_[i]) * step + half;
}

template void running_median::update<float>(const float*, bool);
template void running_median::update<double>(const double*, bool);

}  // namespace facemirror

#pragma once
// OpenFace's histogram running median, the person-specific neutral face that dynamic AU
// models subtract. Each dimension keeps a fixed-bin histogram; the median is the centre of
// the first bin whose cumulative count reaches (count + 1) / 2.
//
// Cost: update() is O(dims) plus the bins the median moves by (a few at most once warmed up):
// the median bin, its count and the count at or below it are tracked per dimension, so an
// update touches one histogram cache line per dimension, instead of rescanning every bin as
// OpenFace does (O(dims x bins)). Results are identical.
//
// THREAD SAFETY
//   Not thread-safe; one owner.

#include <cstdint>
#include <memory>
#include <vector>

namespace facemirror {

class running_median {
 public:
  running_median(int dims, int bins, double min_value, double max_value);

  /// OpenFace's UpdateRunningMedian: the first call seeds the median with `descriptor`; if
  /// `add`, the descriptor is counted; then the median is the descriptor itself while exactly
  /// one descriptor is counted, else the histogram median (with none counted, the first bin's
  /// centre). `descriptor` has dims() values.
  template <typename T>
  void update(const T* descriptor, bool add);

  [[nodiscard]] const std::vector<double>& median() const { return median_; }
  /// OpenFace clamps the HOG median at 0 after every update; the caller may edit it in place.
  [[nodiscard]] std::vector<double>& median() { return median_; }
  [[nodiscard]] int count() const { return count_; }
  [[nodiscard]] int dims() const { return dims_; }
  [[nodiscard]] bool started() const { return started_; }
  void reset();

 private:
  [[nodiscard]] int bin_of(double v) const;
  void write_median();

  int dims_, bins_;
  double min_, length_, scale_, offset_;
  bool started_ = false;
  int count_ = 0;
  struct free_deleter {
    void operator()(int32_t* p) const;
  };
  // dims x bins counts, allocated on the first update. Every update touches one line per
  // dimension, rows apart: on huge pages where the OS allows, to spare a TLB miss each.
  std::unique_ptr<int32_t[], free_deleter> hist_;
  std::vector<int32_t> bin_;          // per dimension: current median bin
  std::vector<int32_t> at_or_below_;  // per dimension: count in bins <= bin_
  std::vector<int32_t> at_bin_;       // per dimension: count in bin_
  std::vector<int32_t> new_bin_;      // scratch: the bins of the descriptor being added
  std::vector<double> median_;
};

extern template void running_median::update<float>(const float*, bool);
extern template void running_median::update<double>(const double*, bool);

}  // namespace facemirror

#include "facemirror/report/asymmetry.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "facemirror/error.h"

namespace facemirror {

double percentile95(std::vector<double> values) {
  if (values.empty())
    return 0.0;
  std::sort(values.begin(), values.end());
  const double position = 0.95 * static_cast<double>(values.size() - 1);
  const auto below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, values.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return values[below] + (values[above] - values[below]) * fraction;
}

namespace {

double median(std::vector<double> values) {
  if (values.empty())
    return 0.0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

}  // namespace

namespace {

void check_lengths(const std::vector<double>& values, const std::vector<bool>& success,
                   const std::vector<double>& timestamp_s, const char* function) {
  if (values.size() != success.size() || values.size() != timestamp_s.size())
    throw error(error_code::invalid_argument,
                std::string(function) + ": series of different lengths");
}

}  // namespace

std::optional<double> window_median(const std::vector<double>& values,
                                    const std::vector<bool>& success,
                                    const std::vector<double>& timestamp_s,
                                    const time_window& window) {
  check_lengths(values, success, timestamp_s, "window_median");
  std::vector<double> inside;
  for (size_t i = 0; i < values.size(); ++i) {
    if (success[i] && window.contains(timestamp_s[i]))
      inside.push_back(values[i]);
  }
  if (inside.empty())
    return std::nullopt;
  return median(std::move(inside));
}

side_stats compute_window_stats(const std::vector<double>& values, const std::vector<bool>& success,
                                const std::vector<double>& timestamp_s, const time_window& window,
                                double baseline) {
  check_lengths(values, success, timestamp_s, "compute_window_stats");
  side_stats stats;
  std::vector<double> seen;
  double sum = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!success[i] || !window.contains(timestamp_s[i]))
      continue;
    if (seen.empty() || values[i] > stats.peak) {
      stats.peak = values[i];
      stats.peak_time_s = timestamp_s[i];
    }
    seen.push_back(values[i]);
    sum += values[i];
  }
  if (seen.empty())
    return stats;
  stats.frames_with_face = static_cast<int64_t>(seen.size());
  stats.mean = sum / static_cast<double>(seen.size());
  stats.baseline = baseline;
  stats.p95 = percentile95(std::move(seen));
  stats.excursion = std::max(0.0, stats.p95 - stats.baseline);
  return stats;
}

time_window baseline_window(const std::vector<double>& timestamp_s,
                            const asymmetry_thresholds& thresholds) {
  const double start = timestamp_s.empty() ? 0.0 : timestamp_s.front();
  return {start, start + thresholds.baseline_s};
}

side_stats compute_side_stats(const std::vector<double>& values, const std::vector<bool>& success,
                              const std::vector<double>& timestamp_s,
                              const asymmetry_thresholds& thresholds,
                              const std::optional<time_window>& rest_row) {
  check_lengths(values, success, timestamp_s, "compute_side_stats");
  if (values.empty())
    return {};
  const time_window recording{-std::numeric_limits<double>::infinity(),
                              std::numeric_limits<double>::infinity()};
  // The rest window starts at the recording's start, not at the first face; with no face in
  // it, the whole recording's median.
  const time_window rest = rest_row.value_or(baseline_window(timestamp_s, thresholds));
  std::optional<double> baseline = window_median(values, success, timestamp_s, rest);
  if (!baseline)
    baseline = window_median(values, success, timestamp_s, recording);
  return compute_window_stats(values, success, timestamp_s, recording, baseline.value_or(0.0));
}

const char* engagement_name(engagement state) {
  switch (state) {
    case engagement::engaged:
      return "engaged";
    case engagement::not_engaged:
      return "not_engaged";
    case engagement::weaker_side_still:
      return "weaker_side_still";
    case engagement::side_without_face:
      return "side_without_face";
    case engagement::no_face:
      return "no_face";
  }
  return "";
}

engagement no_face_state(int64_t left_frames_with_face, int64_t right_frames_with_face) {
  return left_frames_with_face == 0 && right_frames_with_face == 0 ? engagement::no_face
                                                                   : engagement::side_without_face;
}

std::optional<double> asymmetry_index(double left, double right) {
  const double total = left + right;
  if (total == 0.0)
    return std::nullopt;
  return (right - left) / total;
}

std::optional<double> gated_asymmetry_index(double left_mean, double right_mean, bool intensity,
                                            const asymmetry_thresholds& thresholds) {
  const double level_min = intensity ? thresholds.mean_intensity_min : thresholds.mean_presence_min;
  if (std::max(left_mean, right_mean) < level_min)
    return std::nullopt;
  return asymmetry_index(left_mean, right_mean);
}

symmetry_ratio compute_symmetry_ratio(double left_excursion, double right_excursion,
                                      const asymmetry_thresholds& thresholds) {
  symmetry_ratio out;
  const double stronger = std::max(left_excursion, right_excursion);
  const double weaker = std::min(left_excursion, right_excursion);
  if (stronger < thresholds.engaged_min) {
    out.state = engagement::not_engaged;
    return out;
  }
  if (left_excursion != right_excursion)
    out.weaker_side = left_excursion < right_excursion ? "left" : "right";
  if (weaker < thresholds.weaker_min) {
    out.state = engagement::weaker_side_still;
    out.ratio = 0.0;
    return out;
  }
  out.state = engagement::engaged;
  out.ratio = weaker / stronger;
  return out;
}

}  // namespace facemirror

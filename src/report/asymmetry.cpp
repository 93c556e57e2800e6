#include "facemirror/report/asymmetry.h"

#include <algorithm>
#include <cmath>

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

side_stats compute_side_stats(const std::vector<double>& values, const std::vector<bool>& success,
                              const std::vector<double>& timestamp_s,
                              const asymmetry_thresholds& thresholds) {
  if (values.size() != success.size() || values.size() != timestamp_s.size())
    throw error(error_code::invalid_argument, "compute_side_stats: series of different lengths");
  side_stats stats;
  std::vector<double> seen, rest;
  double sum = 0;
  bool have_peak = false;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!success[i])
      continue;
    seen.push_back(values[i]);
    sum += values[i];
    // The rest window starts at the recording's start, not at the first face.
    if (timestamp_s[i] - timestamp_s.front() < thresholds.baseline_s)
      rest.push_back(values[i]);
    if (!have_peak || values[i] > stats.peak) {
      stats.peak = values[i];
      stats.peak_time_s = timestamp_s[i];
      have_peak = true;
    }
  }
  if (seen.empty())
    return stats;
  stats.frames_with_face = static_cast<int64_t>(seen.size());
  stats.mean = sum / static_cast<double>(seen.size());
  stats.baseline = median(rest.empty() ? seen : rest);
  stats.p95 = percentile95(std::move(seen));
  stats.excursion = std::max(0.0, stats.p95 - stats.baseline);
  return stats;
}

std::optional<double> asymmetry_index(double left, double right) {
  const double total = left + right;
  if (total == 0.0)
    return std::nullopt;
  return (right - left) / total;
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

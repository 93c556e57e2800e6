#pragma once
// Left/right AU statistics and asymmetry indices for the clinician's report.
//
// WHAT THIS REPRESENTS
//   Per AU and side, over the frames where that side's face was found (success == 1; other
//   frames are dropped, never counted as 0):
//     mean, p95 (95th percentile, linear interpolation between order statistics), peak (max)
//     and the time of the peak;
//     baseline b = median of the first `baseline_s` seconds (the resting face at the start of a
//     recording; all frames with a face when the recording is shorter);
//     excursion E = max(0, p95 - b): how far the AU rose above rest, robust to one-frame spikes.
//   Two indices compare the sides (shared/research/asymmetry_report.md, recommendations 1-3):
//     asymmetry index AI = (R - L) / (R + L) on the means, in [-1, 1]: 0 symmetric, > 0 right
//       stronger, < 0 left stronger; with a level gate: none when neither side's mean reaches
//       mean_intensity_min (intensities) or mean_presence_min (presences), since two sides at
//       rest make a ratio of noise (0.01 against 0.00 would read -1.00, "only the left moves");
//     symmetry ratio SR = min(E_L, E_R) / max(E_L, E_R), in [0, 1], 1 symmetric, with an
//       activation gate: when max(E_L, E_R) < engaged_min the AU was "not engaged" (no SR,
//       rather than calling two resting sides symmetric); when the stronger side is engaged but
//       the weaker moves less than weaker_min, SR = 0 ("no movement on the weaker side").
//   For presences (AU*_c) the mean is the share of frames the AU is present; p95, peak and
//   baseline are computed the same way (0 or 1), the excursion and SR are not used.
//
// UNITS
//   AU_r intensity 0..5 (OpenFace), AU_c 0/1, times in seconds.
//
// THREAD SAFETY
//   Pure functions on values.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace facemirror {

struct asymmetry_thresholds {
  double baseline_s = 1.0;   // rest window at the start of the recording
  double engaged_min = 0.5;  // excursion the stronger side needs (half of OpenFace's "minimal")
  double weaker_min = 0.1;   // below this the weaker side did not move
  // The AI's level gate: the stronger side's mean intensity, or share of frames with the AU
  // present, that a comparison of the means needs.
  double mean_intensity_min = 0.5;
  double mean_presence_min = 0.1;
};

struct side_stats {
  int64_t frames_with_face = 0;
  double mean = 0;
  double p95 = 0;
  double peak = 0;
  double peak_time_s = 0;
  double baseline = 0;
  double excursion = 0;  // max(0, p95 - baseline)
};

/// A span of the recording, [start_s, end_s) in the CSV's timestamps (seconds).
struct time_window {
  double start_s = 0;
  double end_s = 0;
  [[nodiscard]] bool contains(double t) const { return t >= start_s && t < end_s; }
};

/// The rest window of a recording without a plan's: its first thresholds.baseline_s seconds,
/// from its first timestamp (none: from 0).
[[nodiscard]] time_window baseline_window(const std::vector<double>& timestamp_s,
                                          const asymmetry_thresholds& thresholds);

/// The median of `values` over the rows in `window` where `success` is true; nullopt when
/// there is none. The series have the same length (throws error(invalid_argument) otherwise).
[[nodiscard]] std::optional<double> window_median(const std::vector<double>& values,
                                                  const std::vector<bool>& success,
                                                  const std::vector<double>& timestamp_s,
                                                  const time_window& window);

/// Statistics of `values` over the rows in `window` where `success` is true, the excursion
/// above `baseline` (the caller's rest median). No such row gives all zeros; the same length
/// rule as window_median().
[[nodiscard]] side_stats compute_window_stats(const std::vector<double>& values,
                                              const std::vector<bool>& success,
                                              const std::vector<double>& timestamp_s,
                                              const time_window& window, double baseline);

/// Statistics of `values` over the rows where `success` is true. `timestamp_s` gives each row's
/// time (baseline window, peak time). All three have the same length (throws
/// error(invalid_argument) otherwise). No row with a face gives all zeros. The baseline is the
/// median over `rest` (a task plan's rest row), else over baseline_window(); without a face
/// there, over the whole recording.
[[nodiscard]] side_stats compute_side_stats(const std::vector<double>& values,
                                            const std::vector<bool>& success,
                                            const std::vector<double>& timestamp_s,
                                            const asymmetry_thresholds& thresholds = {},
                                            const std::optional<time_window>& rest = std::nullopt);

/// The 95th percentile by linear interpolation between order statistics (numpy's default):
/// position 0.95 * (n - 1) in the sorted values. 0 for no values.
[[nodiscard]] double percentile95(std::vector<double> values);

/// (R - L) / (R + L); nullopt when R + L == 0.
[[nodiscard]] std::optional<double> asymmetry_index(double left, double right);

/// The AI of two sides' means under the level gate above: nullopt when the larger mean is
/// below thresholds.mean_intensity_min (`intensity`, AU*_r) or mean_presence_min (AU*_c).
[[nodiscard]] std::optional<double> gated_asymmetry_index(double left_mean, double right_mean,
                                                          bool intensity,
                                                          const asymmetry_thresholds& thresholds);

/// side_without_face: one side has no frame with a face (a mirrored face never found), so
/// there is nothing to compare: no AI and no SR; no_face: neither side has one (no face in the
/// video, or none in a task's window, or a window without frames). The report's caller sets
/// both (no_face_state), not compute_symmetry_ratio, whose excursions are both measured.
enum class engagement { engaged, not_engaged, weaker_side_still, side_without_face, no_face };

/// The state as the CSVs write it: "engaged", "not_engaged", "weaker_side_still",
/// "side_without_face", "no_face".
[[nodiscard]] const char* engagement_name(engagement state);

/// side_without_face, or no_face when neither side has a frame with a face.
[[nodiscard]] engagement no_face_state(int64_t left_frames_with_face,
                                       int64_t right_frames_with_face);

struct symmetry_ratio {
  engagement state = engagement::not_engaged;
  double ratio = 0;         // min/max excursion; meaningful when engaged or weaker_side_still
  std::string weaker_side;  // "left", "right" or "" (equal, or not engaged)
};

/// SR of two excursions under the activation gate described above.
[[nodiscard]] symmetry_ratio compute_symmetry_ratio(double left_excursion, double right_excursion,
                                                    const asymmetry_thresholds& thresholds = {});

}  // namespace facemirror

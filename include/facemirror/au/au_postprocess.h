#pragma once
// OpenFace 2.2's offline post-processing of one AU over a whole video, applied after the
// dynamic models' first 3000 successful frames have been re-predicted with the final
// running median.
//
// THREAD SAFETY
//   Pure functions.

#include <cstdint>
#include <vector>

namespace facemirror {

/// Intensity: for a dynamic model with cutoff >= 0, subtract the value at that percentile of
/// the successful frames' raw predictions (sorted[(int)(n * cutoff)]); clamp every value to
/// [0, 5]; failed frames become 0; then a 3-frame centred mean over frames 1..n-2 (ends kept).
[[nodiscard]] std::vector<double> postprocess_intensity(const std::vector<double>& raw,
                                                        const std::vector<uint8_t>& success,
                                                        double cutoff);

/// Presence: per-frame classes (failed frames 0), then OpenFace's majority smoothing.
[[nodiscard]] std::vector<double> postprocess_presence(const std::vector<double>& classes,
                                                       const std::vector<uint8_t>& success);

}  // namespace facemirror

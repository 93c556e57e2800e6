// OpenFace 2.2's offline AU post-processing (per AU, over a finished video).
#include <algorithm>

#include "facemirror/au/au_postprocess.h"
#include "facemirror/error.h"

namespace facemirror {
namespace {

constexpr double max_intensity = 5.0;
constexpr int presence_window = 7;

}  // namespace

std::vector<double> postprocess_intensity(const std::vector<double>& raw,
                                          const std::vector<uint8_t>& success, double cutoff) {
  FACEMIRROR_CHECK(raw.size() == success.size(), "postprocess_intensity: size mismatch");
  const size_t n = raw.size();
  double offset = 0.0;
  if (cutoff >= 0.0) {
    // Percentile of the person's own raw (unclipped) predictions: their neutral level.
    std::vector<double> valid;
    for (size_t i = 0; i < n; ++i)
      if (success[i])
        valid.push_back(raw[i]);
    if (!valid.empty()) {
      std::sort(valid.begin(), valid.end());
      const size_t at = std::min(valid.size() - 1, static_cast<size_t>(valid.size() * cutoff));
      offset = valid[at];
    }
  }
  std::vector<double> clamped(n, 0.0);
  for (size_t i = 0; i < n; ++i)
    if (success[i])
      clamped[i] = std::clamp(raw[i] - offset, 0.0, max_intensity);
  std::vector<double> out = clamped;
  for (size_t i = 1; i + 1 < n; ++i)
    out[i] = (clamped[i - 1] + clamped[i] + clamped[i + 1]) / 3.0;
  return out;
}

std::vector<double> postprocess_presence(const std::vector<double>& classes,
                                         const std::vector<uint8_t>& success) {
  FACEMIRROR_CHECK(classes.size() == success.size(), "postprocess_presence: size mismatch");
  const size_t n = classes.size();
  std::vector<double> in(n, 0.0);
  for (size_t i = 0; i < n; ++i)
    if (success[i])
      in[i] = classes[i];
  std::vector<double> out = in;
  constexpr size_t half = presence_window / 2;
  // Majority vote over a centred window; frames closer than half a window to either end keep
  // their own class.
  for (size_t i = half; i + half < n; ++i) {
    double sum = 0.0;
    for (size_t j = i - half; j <= i + half; ++j)
      sum += in[j];
    out[i] = sum / presence_window >= 0.5 ? 1.0 : 0.0;
  }
  return out;
}

}  // namespace facemirror

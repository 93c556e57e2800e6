#pragma once
// Internal to the report module: the pieces report.cpp assembles (module-private).

#include <cstdint>
#include <string>
#include <vector>

#include "facemirror/report/au_series.h"
#include "facemirror/report/report.h"

namespace facemirror::detail {

/// FACS name and face region of an OpenFace AU ("AU12" -> "Lip corner puller", "smile").
struct au_info {
  const char* name;
  const char* region;
};
[[nodiscard]] au_info describe_au(const std::string& au);

/// The regions in report order (brow, eye, mid-face and smile, lower face).
[[nodiscard]] const std::vector<std::string>& report_regions();

/// Frames (row indices) of strongest asymmetry: the sum over AU intensities of |R - L| on rows
/// where both faces were found, the `count` largest at least `min_gap_s` apart, in time order.
[[nodiscard]] std::vector<int64_t> strongest_asymmetry_frames(const au_series& left,
                                                              const au_series& right, int count,
                                                              double min_gap_s);

/// Standard base64 (RFC 4648) of `bytes`.
[[nodiscard]] std::string base64(const std::string& bytes);

}  // namespace facemirror::detail

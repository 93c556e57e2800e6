#pragma once
// SVG line charts drawn by our code (no script, no library), for the HTML report.
//
// WHAT THIS REPRESENTS
//   One chart: a time axis in seconds, a value axis, and series drawn as polylines (AU
//   intensities) or as bands of filled runs (AU presences, one row per series). Long series are
//   reduced to the minimum and maximum of each pixel column, in time order, so a chart's size
//   is bounded by its width, whatever the video's length, and no peak is lost.
//
// THREAD SAFETY
//   Pure functions.

#include <string>
#include <vector>

namespace facemirror {

struct chart_series {
  std::string label;   // legend text
  std::string colour;  // CSS colour
  std::vector<double> time_s;
  std::vector<double> values;
  std::vector<bool> valid;  // false: no face on that row (a gap in the line)
};

/// A span of time shaded behind the series and labelled at its top (a movement task).
struct chart_window {
  double start_s = 0;
  double end_s = 0;
  std::string label;
};

/// A dashed horizontal line at `value` across the plot (a side's baseline), in `colour`.
struct chart_reference {
  double value = 0;
  std::string colour;
  std::string label;  // its <title>
};

/// A ringed point at (time_s, value) (a side's peak), in `colour`.
struct chart_marker {
  double time_s = 0;
  double value = 0;
  std::string colour;
  std::string label;  // its <title>
};

struct chart_layout {
  int width = 720;
  int height = 150;
  double y_max = 5.0;   // intensities: OpenFace's 0..5
  double y_step = 1.0;  // line charts: a grid line and its label every y_step, from 0
  /// Shaded where they overlap the chart's time span; the rest is clipped.
  std::vector<chart_window> windows;
  /// Line charts only: drawn over the series, values clamped to 0..y_max; a marker outside the
  /// time span is left out.
  std::vector<chart_reference> references;
  std::vector<chart_marker> markers;
};

/// A line chart; `id` and `css_class` go on the <svg> element, `title` into its <title>.
[[nodiscard]] std::string line_chart_svg(const std::string& id, const std::string& css_class,
                                         const std::string& title,
                                         const std::vector<chart_series>& series,
                                         const chart_layout& layout);

/// A band chart: one row per series, filled where the value is >= 0.5 (present).
[[nodiscard]] std::string band_chart_svg(const std::string& id, const std::string& css_class,
                                         const std::string& title,
                                         const std::vector<chart_series>& series,
                                         const chart_layout& layout);

/// Column-wise min/max reduction of one series to at most 2 * columns points, as index pairs
/// into the series (in time order). Runs of invalid rows break the line: an index of -1 marks
/// a gap. Exposed for tests.
[[nodiscard]] std::vector<long> reduce_to_columns(const std::vector<double>& time_s,
                                                  const std::vector<double>& values,
                                                  const std::vector<bool>& valid, double t0,
                                                  double t1, int columns);

/// Escapes &, <, >, " and ' for HTML text and attributes; a byte that is not part of
/// well-formed UTF-8 (a file name in another encoding) becomes U+FFFD, so the page stays UTF-8.
[[nodiscard]] std::string html_escape(const std::string& text);

/// A file name as a relative link's path: every byte but letters, digits and -._~ percent-
/// encoded (a patient "pt#3" or "50%" would otherwise link a fragment or a wrong file). Still
/// to be html_escape()d in an attribute (it then holds nothing to escape).
[[nodiscard]] std::string url_escape(const std::string& file_name);

}  // namespace facemirror

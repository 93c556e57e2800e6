#include "facemirror/report/svg_chart.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace facemirror {
namespace {

// Plot area inside the SVG: room for the value axis on the left and the time axis below.
constexpr int margin_left = 36;
constexpr int margin_right = 8;
constexpr int margin_top = 8;
constexpr int margin_bottom = 22;

std::string fmt(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f", v);
  return buffer;
}

// A tick step of 1, 2 or 5 x 10^k that gives at most ~8 ticks.
double tick_step(double span) {
  if (span <= 0)
    return 1.0;
  const double raw = span / 8.0;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw)
      return m * power;
  }
  return 10.0 * power;
}

// The series' time between frames (0 with fewer than two rows).
double frame_interval_s(const chart_series& s) {
  return s.time_s.size() > 1
             ? (s.time_s.back() - s.time_s.front()) / static_cast<double>(s.time_s.size() - 1)
             : 0.0;
}

struct frame_box {
  double x0, x1, y0, y1;  // plot area in pixels
  double t0, t1;          // time range in seconds
};

frame_box plot_box(const std::vector<chart_series>& series, const chart_layout& layout) {
  frame_box box{margin_left, static_cast<double>(layout.width - margin_right),
                margin_top,  static_cast<double>(layout.height - margin_bottom),
                0.0,         0.0};
  bool first = true;
  for (const auto& s : series) {
    if (s.time_s.empty())
      continue;
    // To the recording's end, a frame after the last one starts: the last frame's presence band
    // has a frame's width like every other, and the axis ends where the page says it does.
    const double frame_s = frame_interval_s(s);
    box.t0 = first ? s.time_s.front() : std::min(box.t0, s.time_s.front());
    box.t1 = first ? s.time_s.back() + frame_s : std::max(box.t1, s.time_s.back() + frame_s);
    first = false;
  }
  if (box.t1 <= box.t0)
    box.t1 = box.t0 + 1.0;
  return box;
}

double x_of(const frame_box& box, double t) {
  return box.x0 + (t - box.t0) / (box.t1 - box.t0) * (box.x1 - box.x0);
}

std::string open_svg(const std::string& id, const std::string& css_class, const std::string& title,
                     const chart_layout& layout) {
  return "<svg id=\"" + html_escape(id) + "\" class=\"" + html_escape(css_class) + "\" width=\"" +
         std::to_string(layout.width) + "\" height=\"" + std::to_string(layout.height) +
         "\" viewBox=\"0 0 " + std::to_string(layout.width) + " " + std::to_string(layout.height) +
         "\" role=\"img\"><title>" + html_escape(title) + "</title>";
}

// The time axis: ticks and labels in seconds, and the frame of the plot area.
std::string time_axis(const frame_box& box) {
  std::string out = "<rect class=\"plot\" x=\"" + fmt(box.x0) + "\" y=\"" + fmt(box.y0) +
                    "\" width=\"" + fmt(box.x1 - box.x0) + "\" height=\"" + fmt(box.y1 - box.y0) +
                    "\" fill=\"none\" stroke=\"#999\" stroke-width=\"0.5\"/>";
  const double step = tick_step(box.t1 - box.t0);
  for (double t = std::ceil(box.t0 / step) * step; t <= box.t1 + 1e-9; t += step) {
    const std::string x = fmt(x_of(box, t));
    out += "<line x1=\"" + x + "\" y1=\"" + fmt(box.y1) + "\" x2=\"" + x + "\" y2=\"" +
           fmt(box.y1 + 4) + "\" stroke=\"#666\"/>";
    char label[32];
    std::snprintf(label, sizeof(label), step < 1 ? "%.1f" : "%.0f", t);
    out += "<text x=\"" + x + "\" y=\"" + fmt(box.y1 + 15) +
           "\" font-size=\"10\" text-anchor=\"middle\" fill=\"#333\">" + label + "</text>";
  }
  return out;
}

std::string legend(const std::vector<chart_series>& series, const frame_box& box) {
  std::string out;
  double x = box.x1 - 4;
  for (auto it = series.rbegin(); it != series.rend(); ++it) {
    const double w = 8.0 + 6.5 * static_cast<double>(it->label.size());
    x -= w;
    out += "<rect x=\"" + fmt(x) + "\" y=\"" + fmt(box.y0 + 4) +
           "\" width=\"8\" height=\"8\" fill=\"" + html_escape(it->colour) + "\"/><text x=\"" +
           fmt(x + 11) + "\" y=\"" + fmt(box.y0 + 12) + "\" font-size=\"10\" fill=\"#333\">" +
           html_escape(it->label) + "</text>";
    x -= 6;
  }
  return out;
}

// The layout's windows as translucent bands (an overlap shows darker), behind everything else;
// the labels after all bands, on two alternating rows, so that no band hides a neighbour's.
std::string windows_svg(const frame_box& box, const chart_layout& layout) {
  std::string bands, labels;
  int shown = 0;
  for (const auto& window : layout.windows) {
    const double start = std::max(window.start_s, box.t0);
    const double end = std::min(window.end_s, box.t1);
    if (end <= start)
      continue;
    const double x = x_of(box, start);
    bands += "<rect class=\"window\" x=\"" + fmt(x) + "\" y=\"" + fmt(box.y0) + "\" width=\"" +
             fmt(std::max(1.0, x_of(box, end) - x)) + "\" height=\"" + fmt(box.y1 - box.y0) +
             "\" fill=\"#d9c98f\" fill-opacity=\"0.35\"><title>" + html_escape(window.label) +
             "</title></rect>";
    labels += "<text x=\"" + fmt(x + 2) + "\" y=\"" + fmt(box.y0 + 9 + 10 * (shown % 2)) +
              "\" font-size=\"9\" fill=\"#6b5a24\">" + html_escape(window.label) + "</text>";
    ++shown;
  }
  return bands + labels;
}

}  // namespace

std::string url_escape(const std::string& file_name) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : file_name) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 0xF];
    }
  }
  return out;
}

namespace {

// The length of the well-formed UTF-8 sequence (RFC 3629) starting at text[at]; 0 where none
// does (a stray byte, a cut or overlong sequence, a surrogate).
size_t utf8_sequence_length(const std::string& text, size_t at) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(at);
  if (lead < 0x80)
    return 1;
  size_t length = 0;
  unsigned char second_min = 0x80, second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    second_min = lead == 0xE0 ? 0xA0 : 0x80;
    second_max = lead == 0xED ? 0x9F : 0xBF;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    second_min = lead == 0xF0 ? 0x90 : 0x80;
    second_max = lead == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (at + length > text.size() || byte(at + 1) < second_min || byte(at + 1) > second_max)
    return 0;
  for (size_t k = 2; k < length; ++k) {
    if ((byte(at + k) & 0xC0) != 0x80)
      return 0;
  }
  return length;
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t at = 0; at < text.size(); ++at) {
    const char c = text[at];
    if (static_cast<unsigned char>(c) >= 0x80) {
      // A file name is bytes: one that is not UTF-8 would make the page (declared UTF-8)
      // invalid, so such a byte shows as U+FFFD, as a browser would show it.
      const size_t length = utf8_sequence_length(text, at);
      if (length == 0) {
        out += "\xEF\xBF\xBD";
      } else {
        out.append(text, at, length);
        at += length - 1;
      }
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::vector<long> reduce_to_columns(const std::vector<double>& time_s,
                                    const std::vector<double>& values,
                                    const std::vector<bool>& valid, double t0, double t1,
                                    int columns) {
  std::vector<long> out;
  const double span = t1 > t0 ? t1 - t0 : 1.0;
  long column = -1;
  long lo = -1, hi = -1;
  const auto flush = [&] {
    if (lo < 0)
      return;
    // Keep the column's extremes in time order so the line goes through both.
    if (lo == hi) {
      out.push_back(lo);
    } else {
      out.push_back(std::min(lo, hi));
      out.push_back(std::max(lo, hi));
    }
    lo = hi = -1;
  };
  for (size_t i = 0; i < values.size(); ++i) {
    if (!valid[i]) {
      flush();
      if (!out.empty() && out.back() != -1)
        out.push_back(-1);
      column = -1;
      continue;
    }
    // Clamped before the conversion: a time outside [t0, t1] (rows out of order) still lands
    // in a column, and a far one does not overflow the conversion.
    const long c = static_cast<long>(
        std::clamp((time_s[i] - t0) / span * columns, 0.0, static_cast<double>(columns - 1)));
    if (c != column) {
      flush();
      column = c;
    }
    const auto index = static_cast<long>(i);
    if (lo < 0 || values[i] < values[static_cast<size_t>(lo)])
      lo = index;
    if (hi < 0 || values[i] > values[static_cast<size_t>(hi)])
      hi = index;
  }
  flush();
  if (!out.empty() && out.back() == -1)
    out.pop_back();
  return out;
}

std::string line_chart_svg(const std::string& id, const std::string& css_class,
                           const std::string& title, const std::vector<chart_series>& series,
                           const chart_layout& layout) {
  const frame_box box = plot_box(series, layout);
  std::string out = open_svg(id, css_class, title, layout);
  out += windows_svg(box, layout);
  // Value axis: 0..y_max with a line every y_step.
  const int step = std::max(1, static_cast<int>(layout.y_step));
  for (int v = 0; v <= static_cast<int>(layout.y_max); v += step) {
    const double y = box.y1 - v / layout.y_max * (box.y1 - box.y0);
    out += "<line x1=\"" + fmt(box.x0) + "\" y1=\"" + fmt(y) + "\" x2=\"" + fmt(box.x1) +
           "\" y2=\"" + fmt(y) + "\" stroke=\"#e4e4e4\"/><text x=\"" + fmt(box.x0 - 4) + "\" y=\"" +
           fmt(y + 3) + "\" font-size=\"10\" text-anchor=\"end\" fill=\"#333\">" +
           std::to_string(v) + "</text>";
  }
  out += time_axis(box);
  const int columns = static_cast<int>(box.x1 - box.x0);
  for (const auto& s : series) {
    const std::vector<long> points =
        reduce_to_columns(s.time_s, s.values, s.valid, box.t0, box.t1, columns);
    std::string path;
    bool pen_down = false;
    for (const long p : points) {
      if (p < 0) {
        pen_down = false;
        continue;
      }
      const auto i = static_cast<size_t>(p);
      const double v = std::clamp(s.values[i], 0.0, layout.y_max);
      path += (pen_down ? "L" : "M") + fmt(x_of(box, s.time_s[i])) + " " +
              fmt(box.y1 - v / layout.y_max * (box.y1 - box.y0));
      pen_down = true;
    }
    out += "<path class=\"series\" data-series=\"" + html_escape(s.label) + "\" d=\"" + path +
           "\" fill=\"none\" stroke=\"" + html_escape(s.colour) +
           "\" stroke-width=\"1.2\" stroke-linejoin=\"round\"/>";
  }
  const auto y_of = [&](double v) {
    return box.y1 - std::clamp(v, 0.0, layout.y_max) / layout.y_max * (box.y1 - box.y0);
  };
  for (const auto& r : layout.references) {
    const std::string y = fmt(y_of(r.value));
    out += "<line class=\"reference\" x1=\"" + fmt(box.x0) + "\" y1=\"" + y + "\" x2=\"" +
           fmt(box.x1) + "\" y2=\"" + y + "\" stroke=\"" + html_escape(r.colour) +
           "\" stroke-width=\"1\" stroke-dasharray=\"4 3\"><title>" + html_escape(r.label) +
           "</title></line>";
  }
  for (const auto& m : layout.markers) {
    if (m.time_s < box.t0 || m.time_s > box.t1)
      continue;
    out += "<circle class=\"marker\" cx=\"" + fmt(x_of(box, m.time_s)) + "\" cy=\"" +
           fmt(y_of(m.value)) + "\" r=\"3.5\" fill=\"none\" stroke=\"" + html_escape(m.colour) +
           "\" stroke-width=\"1.5\"><title>" + html_escape(m.label) + "</title></circle>";
  }
  out += legend(series, box);
  out += "</svg>";
  return out;
}

std::string band_chart_svg(const std::string& id, const std::string& css_class,
                           const std::string& title, const std::vector<chart_series>& series,
                           const chart_layout& layout) {
  const frame_box box = plot_box(series, layout);
  std::string out = open_svg(id, css_class, title, layout);
  out += windows_svg(box, layout);
  out += time_axis(box);
  const double row_height =
      (box.y1 - box.y0) / static_cast<double>(std::max<size_t>(1, series.size()));
  for (size_t r = 0; r < series.size(); ++r) {
    const chart_series& s = series[r];
    const double y = box.y0 + static_cast<double>(r) * row_height;
    out += "<text x=\"" + fmt(box.x0 - 4) + "\" y=\"" + fmt(y + row_height / 2 + 3) +
           "\" font-size=\"10\" text-anchor=\"end\" fill=\"#333\">" +
           html_escape(s.label.substr(0, 1)) + "</text>";
    // Frames without a face are hatched grey, so "absent" and "not measured" differ.
    const double frame_s = s.time_s.size() > 1 ? frame_interval_s(s) : 1.0;
    for (int pass = 0; pass < 2; ++pass) {
      size_t i = 0;
      while (i < s.values.size()) {
        const auto in_run = [&](size_t k) {
          return pass == 0 ? (s.valid[k] && s.values[k] >= 0.5) : !s.valid[k];
        };
        if (!in_run(i)) {
          ++i;
          continue;
        }
        size_t j = i;
        while (j + 1 < s.values.size() && in_run(j + 1))
          ++j;
        const double xa = x_of(box, s.time_s[i]);
        const double xb = std::max(xa + 1.0, x_of(box, s.time_s[j] + frame_s));
        out += "<rect class=\"" + std::string(pass == 0 ? "present" : "noface") + "\" x=\"" +
               fmt(xa) + "\" y=\"" + fmt(y + 2) + "\" width=\"" + fmt(std::min(xb, box.x1) - xa) +
               "\" height=\"" + fmt(row_height - 4) + "\" fill=\"" +
               (pass == 0 ? html_escape(s.colour) : std::string("#ccc")) + "\"/>";
        i = j + 1;
      }
    }
  }
  out += "</svg>";
  return out;
}

}  // namespace facemirror

#include "report/report_html.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>

#include "facemirror/io/image_reader.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/mirror/mirror.h"
#include "facemirror/report/svg_chart.h"
#include "facemirror/version.h"

#include "models/sha256.h"

namespace facemirror {
namespace fs = std::filesystem;

namespace detail {

au_info describe_au(const std::string& au) {
  static const std::map<std::string, au_info> table = {
      {"AU01", {"Inner brow raiser", "brow"}},
      {"AU02", {"Outer brow raiser", "brow"}},
      {"AU04", {"Brow lowerer", "brow"}},
      {"AU05", {"Upper lid raiser", "eye"}},
      {"AU06", {"Cheek raiser", "eye"}},
      {"AU07", {"Lid tightener", "eye"}},
      {"AU45", {"Blink", "eye"}},
      {"AU09", {"Nose wrinkler", "mid-face and smile"}},
      {"AU10", {"Upper lip raiser", "mid-face and smile"}},
      {"AU12", {"Lip corner puller", "mid-face and smile"}},
      {"AU14", {"Dimpler", "mid-face and smile"}},
      {"AU15", {"Lip corner depressor", "lower face"}},
      {"AU17", {"Chin raiser", "lower face"}},
      {"AU20", {"Lip stretcher", "lower face"}},
      {"AU23", {"Lip tightener", "lower face"}},
      {"AU25", {"Lips part", "lower face"}},
      {"AU26", {"Jaw drop", "lower face"}},
      {"AU28", {"Lip suck", "lower face"}},
  };
  const auto it = table.find(au.substr(0, 4));
  return it == table.end() ? au_info{"", "other"} : it->second;
}

const std::vector<std::string>& report_regions() {
  static const std::vector<std::string> regions = {"brow", "eye", "mid-face and smile",
                                                   "lower face", "other"};
  return regions;
}

bool few_faces(int64_t faces, int64_t frames, double min_share) {
  return frames == 0 || static_cast<double>(faces) < min_share * static_cast<double>(frames);
}

std::optional<double> turned_share(const video_report& r) {
  if (!r.video.mirrored || !r.have_yaw || r.yaw.yaw_deg.empty())
    return std::nullopt;
  const auto turned = std::count_if(r.yaw.yaw_deg.begin(), r.yaw.yaw_deg.end(), [](double yaw) {
    return classify_yaw(yaw) == yaw_quality::poor;
  });
  return static_cast<double>(turned) / static_cast<double>(r.yaw.yaw_deg.size());
}

std::string window_text(const time_window& window) {
  return num(window.start_s, 1) + "&ndash;" + num(window.end_s, 1) + " s";
}

std::string rest_without_face_warning(const video_report& r, const time_window& rest,
                                      const std::string& whose) {
  const auto face_at_rest = [&](const au_series& face) {
    for (size_t i = 0; i < face.rows(); ++i) {
      if (face.success[i] && rest.contains(face.timestamp_s[i]))
        return true;
    }
    return false;
  };
  std::vector<std::string> sides;
  if (r.video.mirrored) {
    if (!face_at_rest(r.left))
      sides.push_back("left");
    if (!face_at_rest(r.right))
      sides.push_back("right");
  } else if (!face_at_rest(r.left)) {
    sides.push_back("");
  }
  if (sides.empty())
    return "";
  const std::string where = sides.size() == 2  ? " on either side"
                            : sides[0].empty() ? ""
                                               : " on the " + sides[0] + " side";
  return "<p class=\"warning rest-without-face\">No face in the rest window (" + window_text(rest) +
         ")" + where + ": " + whose +
         " baselines there are the median over the whole recording, not a resting face, so "
         "their excursions E (and the symmetry ratios built on them) understate the movement. "
         "A rest with the face in view gives the numbers their meaning.</p>";
}

// A recording that ends inside its rest window (shorter than the first second, without a plan's
// rest row): its whole length is "rest", so no AU can rise above it.
time_window summary_rest_window(const video_report& r, const report_options& options) {
  return r.plan ? rest_window(*r.plan, r.left.timestamp_s, options.thresholds)
                : baseline_window(r.left.timestamp_s, options.thresholds);
}

bool within_rest_window(const video_report& r, const time_window& rest) {
  return r.left.rows() > 0 && r.left.timestamp_s.back() < rest.end_s;
}

std::string short_recording_warning(const video_report& r, const time_window& rest) {
  if (!within_rest_window(r, rest))
    return "";
  return "<p class=\"warning short-recording\">The recording (" +
         num(r.left.timestamp_s.front(), 2) + "&ndash;" + num(r.left.timestamp_s.back(), 2) +
         " s) lies within its rest window (" + window_text(rest) +
         "): the baselines are the whole recording's, so the excursions E are its spread, not "
         "movement against rest, and the symmetry ratios built on them compare no movement, "
         "engaged or not. Record the face at rest for a second or more before the movement, or "
         "give a task plan whose rest row says where it rests.</p>";
}

// The summary's warning where the source head was turned too often for fair mirroring.
std::string head_turned_warning(const video_report& r, const report_options& options) {
  const std::optional<double> share = turned_share(r);
  if (!share || *share <= options.max_turned_share)
    return "";
  return "<p class=\"warning head-turned\"><b>The head was turned more than 5&deg; (S1's "
         "&ldquo;mirroring affected&rdquo;) in " +
         num(100.0 * *share, 0) + "% of the frames with a face (more than " +
         num(100.0 * options.max_turned_share, 0) +
         "%): one half of a turned face looks smaller, and its mirrored face biases the "
         "left/right comparison. The Quality section shows when; a recording facing the "
         "camera, or a task plan whose windows avoid the turns, gives fairer numbers.</b></p>";
}

// The summary's warning where a side's face was lost too often: its numbers rest on the frames
// it was found in, which a movement's frames may not be among (the Quality section counts them).
std::string few_faces_warning(const video_report& r, const report_options& options) {
  std::string sides;
  const auto side = [&](const char* name, const au_series& face) {
    const auto frames = static_cast<int64_t>(face.rows());
    if (!few_faces(face.frames_with_face(), frames, options.min_face_share))
      return;
    const double share =
        frames ? static_cast<double>(face.frames_with_face()) / static_cast<double>(frames) : 0;
    sides += std::string(sides.empty() ? "" : "; ") + "the " + name + " in " +
             num(100.0 * share, 0) + "%";
  };
  if (r.video.mirrored) {
    side("left face", r.left);
    side("right face", r.right);
  } else {
    side("face", r.left);
  }
  if (sides.empty())
    return "";
  return "<p class=\"warning few-faces\"><b>A face was found in fewer than " +
         num(100.0 * options.min_face_share, 0) + "% of the frames (" + sides +
         "): the numbers below rest on the frames with a face, and a movement made while it was "
         "lost is not in them. The Quality section counts the frames; the charts show the "
         "gaps.</b></p>";
}

double recording_end_s(const au_series& face) {
  const auto& times = face.timestamp_s;
  if (times.size() < 2)
    return times.empty() ? 0.0 : times.back();
  return times.back() + (times.back() - times.front()) / static_cast<double>(times.size() - 1);
}

std::string excursion_text(double e, const asymmetry_thresholds& thresholds) {
  for (int decimals = 2; decimals < 4; ++decimals) {
    const std::string text = num(e, decimals);
    const double shown = std::stod(text);
    if ((shown < thresholds.engaged_min) == (e < thresholds.engaged_min) &&
        (shown < thresholds.weaker_min) == (e < thresholds.weaker_min))
      return text;
  }
  return num(e, 4);
}

std::string num(double v, int decimals) {
  char buffer[48];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, v);
  // A small negative value rounds to "-0.00", which reads as a sign that is not there.
  if (buffer[0] == '-' && std::strspn(buffer + 1, "0.") == std::strlen(buffer + 1))
    return buffer + 1;
  return buffer;
}

}  // namespace detail

namespace {

using detail::describe_au;
using detail::excursion_text;
using detail::mirrored_frames_as_jpeg;
using detail::mirrored_stills;
using detail::model_checksums;
using detail::num;
using detail::video_report;

using detail::face_colour;
using detail::left_colour;
using detail::right_colour;

// The rate a CSV's timestamps give. They carry milliseconds, so the measured rate is good to
// about rate * 0.001 s / duration: it is shown to as many decimals as that allows, up to three
// (a 5 s clip at 30 frames/s reads 30.00, not the 30.002 its rounded timestamps give).
std::string rate_from_timestamps(size_t rows, double duration_s) {
  const double rate = static_cast<double>(rows - 1) / duration_s;
  const double uncertainty = rate * 0.001 / duration_s;
  const int decimals = std::clamp(static_cast<int>(std::floor(-std::log10(uncertainty))), 0, 3);
  return num(rate, decimals);
}

// ---- HTML ----------------------------------------------------------------------------------

const char* style_sheet = R"(
body{font-family:"DejaVu Sans",Arial,sans-serif;color:#222;margin:24px auto;max-width:960px;padding:0 12px;font-size:14px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:3px;margin-top:28px}
h3{font-size:15px;margin:18px 0 6px}.muted{color:#666}.note{color:#555;font-size:12px}
table{border-collapse:collapse;font-size:12px;margin:8px 0}th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#f2f2f2}td.l,th.l{text-align:left}.left{color:#1f5fbf}.right{color:#c8321e}
.gated{color:#666;font-style:italic}.strong{font-weight:bold}
figure.au{margin:6px 0 14px;break-inside:avoid;page-break-inside:avoid}figure.au figcaption{font-size:13px;margin-bottom:2px}
svg{max-width:100%;height:auto;display:block}svg text{font-family:"DejaVu Sans",Arial,sans-serif}
.stills{display:flex;flex-wrap:wrap;gap:16px}.still{break-inside:avoid;font-size:12px;text-align:center}
.still img{display:block;height:180px;margin:2px}.pair{display:flex}
nav a{margin-right:12px}code,pre{font-size:11px}pre{white-space:pre-wrap;word-break:break-all}
.bar{display:inline-block;height:10px;vertical-align:middle}
#overview a{color:inherit;text-decoration:none}#overview td{min-width:32px}
.warning{color:#8a2a12}.task{break-inside:avoid;page-break-inside:avoid}.task-stills .still img{height:110px}
.task-charts{display:flex;flex-wrap:wrap;gap:8px}figure.task-chart{margin:4px 0}figure.task-chart figcaption{font-size:12px}
@media print{nav{display:none}body{margin:0;max-width:none;-webkit-print-color-adjust:exact;print-color-adjust:exact}h2{break-after:avoid}details{display:block}details>*{display:block}}
@page{size:A4;margin:12mm}
)";

}  // namespace

namespace detail {

std::string symmetry_cells(const symmetry_ratio& symmetry) {
  switch (symmetry.state) {
    case engagement::not_engaged:
      return "<td class=\"gated\">not engaged</td><td></td>";
    case engagement::side_without_face:
      return "<td class=\"gated\">no face on one side</td><td></td>";
    case engagement::no_face:
      return "<td class=\"gated\">no face on either side</td><td></td>";
    case engagement::weaker_side_still:
      return "<td class=\"strong\">0.00</td><td class=\"l\">" + symmetry.weaker_side +
             " (no movement)</td>";
    case engagement::engaged:
      break;
  }
  return "<td" + std::string(symmetry.ratio < 0.9 ? " class=\"strong\"" : "") + ">" +
         num(symmetry.ratio) + "</td><td class=\"l\">" +
         (symmetry.weaker_side.empty()
              ? "-"
              : symmetry.weaker_side + " " + num(100.0 * (1.0 - symmetry.ratio), 0) + "% weaker") +
         "</td>";
}

std::string still_figure(int64_t row, double time_s, const std::string& right_jpeg,
                         const std::string& left_jpeg, const std::string& label) {
  const std::string frame = std::to_string(row + 1);
  return "<div class=\"still\"><div class=\"pair\"><img class=\"still-right\" "
         "alt=\"right-mirrored face, frame " +
         frame + "\" src=\"" + right_jpeg +
         "\"><img class=\"still-left\" alt=\"left-mirrored face, frame " + frame + "\" src=\"" +
         left_jpeg + "\"></div>" + (label.empty() ? "" : html_escape(label) + ": ") +
         "<span class=\"right\">right</span> | <span class=\"left\">left</span> &mdash; frame " +
         frame + ", " + num(time_s, 2) + " s</div>";
}

// `text` as a CSS string's contents: quotes and backslashes escaped, and '<' too, so that no
// "</style>" in a video's name can end the style sheet.
std::string css_string(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '"' || c == '\\')
      out += std::string("\\") + c;
    else if (c == '<')
      out += "\\3c ";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string page_head(const std::string& title) {
  // Printed, every page names its video and its place (a page of a record, filed alone).
  const std::string printed_margins = "@page{@top-left{content:\"" + css_string(title) +
                                      "\";font-size:8pt;color:#666}@bottom-right{content:\"page \" "
                                      "counter(page) \" of \" counter(pages);font-size:8pt;color:#"
                                      "666}}";
  // The policy forbids every request but embedded images and the inline style: a report that
  // tried to reach the network would show nothing rather than leak.
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src "
         "data:; "
         "style-src 'unsafe-inline'\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta name=\"generator\" content=\"facemirror " +
         std::string(version()) + "\"><title>" + html_escape(title) + "</title><style>" +
         style_sheet + printed_margins + "</style></head><body>\n";
}

}  // namespace detail

namespace {

std::string stat_cells(const side_stats& s, bool intensity, const char* css) {
  if (s.frames_with_face == 0)
    return std::string("<td class=\"") + css + "\" colspan=\"3\">no face</td>";
  if (!intensity) {
    return std::string("<td class=\"") + css + "\">" + num(100.0 * s.mean, 1) +
           "%</td><td class=\"" + css + "\">" + num(s.p95, 0) + "</td><td class=\"" + css + "\">" +
           num(s.peak, 0) + "</td>";
  }
  return std::string("<td class=\"") + css + "\">" + num(s.mean) + "</td><td class=\"" + css +
         "\">" + num(s.p95) + "</td><td class=\"" + css + "\">" + num(s.peak) + "</td>";
}

std::string summary_symmetry_cells(const au_summary& row) {
  return row.intensity ? detail::symmetry_cells(row.symmetry) : "<td></td><td></td>";
}

std::string summary_table(const video_report& r, const asymmetry_thresholds& thresholds) {
  const bool pair = r.video.mirrored;
  std::string out =
      "<table id=\"summary\" class=\"summary\"><thead><tr><th class=\"l\" rowspan=\"2\">AU</th>"
      "<th class=\"l\" rowspan=\"2\">movement</th>";
  if (pair) {
    out +=
        "<th colspan=\"3\" class=\"left\">left (patient's)</th><th colspan=\"3\" "
        "class=\"right\">right "
        "(patient's)</th><th rowspan=\"2\">AI<br>(R&minus;L)/(R+L)</th><th "
        "rowspan=\"2\">E<sub>L</sub> / "
        "E<sub>R</sub></th><th rowspan=\"2\">SR</th><th rowspan=\"2\" class=\"l\">weaker "
        "side</th></tr><tr>"
        "<th>mean</th><th>p95</th><th>peak</th><th>mean</th><th>p95</th><th>peak</th></tr>";
  } else {
    out +=
        "<th colspan=\"3\">face</th><th rowspan=\"2\">baseline</th><th "
        "rowspan=\"2\">E</th></tr><tr>"
        "<th>mean</th><th>p95</th><th>peak</th></tr>";
  }
  out += "</thead><tbody>";
  for (const auto& row : r.summary) {
    const auto info = describe_au(row.au);
    out += "<tr data-au=\"" + html_escape(row.au) + "\"><td class=\"l\">" + html_escape(row.au) +
           "</td><td class=\"l\">" + info.name + (row.intensity ? "" : " (presence)") + "</td>";
    out += stat_cells(row.left, row.intensity, "left");
    if (pair) {
      out += stat_cells(row.right, row.intensity, "right");
      out += "<td>" + (row.asymmetry ? num(*row.asymmetry) : std::string("-")) + "</td>";
      out += !row.intensity ? "<td></td>"
             : row.symmetry.state == engagement::side_without_face ||
                     row.symmetry.state == engagement::no_face
                 ? "<td>-</td>"
                 : "<td>" + excursion_text(row.left.excursion, thresholds) + " / " +
                       excursion_text(row.right.excursion, thresholds) + "</td>";
      out += summary_symmetry_cells(row);
    } else {
      out += row.intensity ? "<td>" + num(row.left.baseline) + "</td><td>" +
                                 excursion_text(row.left.excursion, thresholds) + "</td>"
                           : "<td></td><td></td>";
    }
    out += "</tr>";
  }
  out += "</tbody></table>";
  // Read together on the first page, the two can seem to contradict each other (AI "right
  // stronger" beside SR "right weaker"): the note says why, where the numbers are.
  if (pair)
    out +=
        "<p class=\"note ai-sr\">AI compares the sides' means, resting level included (a side "
        "that rests higher reads stronger); SR compares their movement above rest (E): the two "
        "can point different ways, and where they do, the difference is at rest. Sides are the "
        "patient's as an unmirrored camera sees them (Definitions): a front camera or a video "
        "call that mirrors the picture swaps them, which facemirror cannot tell.</p>";
  out +=
      pair
          ? "<p class=\"note\">Frames with a face: left " +
                std::to_string(r.left.frames_with_face()) + " of " + std::to_string(r.left.rows()) +
                ", right " + std::to_string(r.right.frames_with_face()) + " of " +
                std::to_string(r.right.rows()) + ". Statistics use those frames only.</p>"
          : "<p class=\"note\">Frames with a face: " + std::to_string(r.left.frames_with_face()) +
                " of " + std::to_string(r.left.rows()) + ". Statistics use those frames only.</p>";
  return out;
}

std::string definitions(const report_options& options, bool pair, bool tasks,
                        const std::optional<time_window>& plan_rest) {
  const auto& t = options.thresholds;
  std::string out =
      "<section id=\"definitions\"><h2>Definitions</h2><ul>"
      "<li><b>mean, p95, peak</b>: over the frames where that side's face was found (OpenFace "
      "<code>success</code> = 1); p95 is the 95th percentile (linear interpolation). AU "
      "intensities "
      "(<code>AU*_r</code>) run 0 (absent) to 5 (maximal); for presences (<code>AU*_c</code>) the "
      "mean "
      "is the share of frames with the AU present.</li>"
      "<li><b>baseline b</b>: the median over " +
      (plan_rest ? "the task plan's rest window, " + num(plan_rest->start_s, 1) + "&ndash;" +
                       num(plan_rest->end_s, 1) + " s"
                 : "the first " + num(t.baseline_s, 1) + " s of the recording") +
      " (the resting face; summary and tasks alike); <b>excursion E</b> = max(0, p95 &minus; "
      "b).</li>";
  if (pair) {
    out +=
        "<li><b>asymmetry index AI</b> = (R &minus; L) / (R + L) on the means, from &minus;1 to 1: "
        "0 "
        "symmetric, positive: the right side stronger, negative: the left side stronger; \"-\" "
        "when neither side's mean reaches " +
        num(t.mean_intensity_min) + " (intensities) or " + num(100.0 * t.mean_presence_min, 0) +
        "% of the frames (presences): two sides at rest make a ratio of noise.</li>"
        "<li><b>symmetry ratio SR</b> = min(E<sub>L</sub>, E<sub>R</sub>) / max(E<sub>L</sub>, "
        "E<sub>R</sub>), 0 to 1, 1 symmetric; \"% weaker\" = (1 &minus; SR) &times; 100. "
        "<b>Activation gate</b>: when the stronger side's excursion is below " +
        num(t.engaged_min) +
        " the AU is <i>not engaged</i> (no ratio: two resting sides are not evidence of symmetry); "
        "when "
        "the stronger side is engaged and the weaker side's excursion is below " +
        num(t.weaker_min) +
        ", SR = 0 (<i>no movement</i> on the weaker side). SR below 0.9 is printed in bold; "
        "healthy "
        "faces show 7-9% asymmetry in landmark studies (not validated for AUs).</li>"
        "<li><b>left / right</b> are the patient's anatomical sides: <i>right</i> is the "
        "right-mirrored "
        "face (the patient's right half, image left in an unflipped camera view, and its "
        "reflection).</li>"
        "<li>OpenFace normalises the dynamic AUs (01, 02, 05, 09, 15, 17, 20, 23, 25, 26, 45) per "
        "video, "
        "so each mirrored face loses most of its resting offset; resting asymmetry shows mainly in "
        "the static AUs (04, 06, 07, 10, 12, 14).</li>"
        "<li>Pucker (AU18, AU22) and the lower-lip depressor (AU16) are not in OpenFace; AU23/AU17 "
        "and AU25/AU20/AU15/AU26 are proxies.</li>";
  }
  out += "<li><b>face tracking</b>: a face found in fewer than " +
         num(100.0 * options.min_face_share, 0) +
         "% of the frames (of the video, or of a task's window) is flagged; confidence is "
         "OpenFace's <code>confidence</code>, averaged over the frames with a face.</li>";
  if (pair)
    out +=
        "<li><b>head turn</b>: a video whose source head yaw is beyond 5&deg; (S1's "
        "&ldquo;mirroring affected&rdquo;) in more than " +
        num(100.0 * options.max_turned_share, 0) +
        "% of its frames with a face is flagged in its summary and the folder's index.</li>";
  if (tasks && pair)
    out +=
        "<li><b>tasks</b>: per task and side, E = max(0, p95 over the task's window &minus; the "
        "median over the rest window), for each AU intensity; the task's E is the sum over its "
        "primary AUs, and its SR compares the two sums under the activation gate above. AUs of "
        "other face regions that rose by " +
        num(t.engaged_min) +
        " or more during a task are listed as possible synkinesis, without a score. Stills: "
        "the middle frame of the rest window with both faces, and the task's frame where its "
        "primary AUs of both sides sum highest.</li>";
  else if (tasks)
    out +=
        "<li><b>tasks</b>: per task, E = max(0, p95 over the task's window &minus; the median "
        "over the rest window), for each AU intensity; the task's E is the sum over its primary "
        "AUs. One face has no left/right comparison (the mirror job's two mirrored faces give "
        "it). AUs of other face regions that rose by " +
        num(t.engaged_min) +
        " or more during a task are listed as possible synkinesis, without a score.</li>";
  out +=
      "<li>No clinical grade (House-Brackmann, Sunnybrook, eFACE) is computed; the numbers are for "
      "research and to support, not replace, a clinician's judgement.</li></ul></section>\n";
  return out;
}

chart_series series_of(const au_series& face, const au_column& column, const char* label,
                       const char* colour) {
  return {label, colour, face.timestamp_s, column.values, face.success};
}

// The task plan's windows (its rest first), shaded behind a chart; none without a plan.
std::vector<chart_window> plan_windows(const video_report& r) {
  std::vector<chart_window> windows;
  if (!r.plan)
    return windows;
  if (r.plan->rest)
    windows.push_back({r.plan->rest->start_s, r.plan->rest->end_s, "rest"});
  for (const auto& task : r.plan->tasks)
    windows.push_back({task.window.start_s, task.window.end_s, task.label});
  return windows;
}

std::string charts(const video_report& r) {
  std::string out = "<section id=\"charts\"><h2>Action Units over time</h2><p class=\"note\">";
  out += r.video.mirrored ? "<span class=\"left\">Left</span> and <span "
                            "class=\"right\">right</span> mirrored faces; "
                            "intensities as lines (0-5), presences as bands (upper row right, "
                            "lower row left; grey: "
                            "no face). "
                          : "Intensities as lines (0-5), presences as bands (grey: no face). ";
  if (r.left.rows() <= 1) {
    return out +
           "A still image: one value per AU, given in the summary table; there is no "
           "time to chart.</p></section>\n";
  }
  out += "Time in seconds from the start of the video.</p>";
  chart_layout line_layout;
  if (r.plan)
    out += "<p class=\"note\">Shaded: the task plan's windows.</p>";
  line_layout.windows = plan_windows(r);
  chart_layout band_layout = line_layout;
  band_layout.height = r.video.mirrored ? 64 : 46;
  for (const auto& region : detail::report_regions()) {
    std::string section;
    for (const auto& column : r.left.aus) {
      if (describe_au(column.name).region != region)
        continue;
      const auto info = describe_au(column.name);
      std::vector<chart_series> series;
      if (r.video.mirrored) {
        const au_column* right = r.right.find(column.name);
        series.push_back(series_of(r.right, *right, "Right", right_colour));
        series.push_back(series_of(r.left, column, "Left", left_colour));
      } else {
        series.push_back(series_of(r.left, column, "Face", face_colour));
      }
      const std::string caption =
          column.name + " " + info.name + (column.intensity ? " (intensity)" : " (presence)");
      section += "<figure class=\"au\" data-au=\"" + html_escape(column.name) + "\"><figcaption>" +
                 html_escape(caption) + "</figcaption>";
      section += column.intensity ? line_chart_svg("chart-" + column.name, "au-chart intensity",
                                                   caption, series, line_layout)
                                  : band_chart_svg("chart-" + column.name, "au-chart presence",
                                                   caption, series, band_layout);
      section += "</figure>\n";
    }
    if (!section.empty()) {
      std::string heading = region;
      heading[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(heading[0])));
      out += "<h3>" + html_escape(heading) + "</h3>\n" + section;
    }
  }
  out += "</section>\n";
  return out;
}

// Per side: how many frames have a face and how sure the tracker was on them (recommendation 9
// of asymmetry_report.md); a side below options.min_face_share is flagged.
std::string face_tracking(const video_report& r, const report_options& options) {
  std::string out =
      "<h3>Face tracking</h3><table id=\"tracking\"><tr><th class=\"l\">face</th><th>frames with "
      "a face</th><th>share</th><th>mean confidence</th></tr>";
  std::string warnings;
  // `name`: the table's row; the warning says "the <name> was found ...".
  const auto side = [&](const std::string& name, const au_series& face) {
    const size_t frames = face.rows();
    const int64_t found = face.frames_with_face();
    const double share = frames ? static_cast<double>(found) / static_cast<double>(frames) : 0;
    const bool few = detail::few_faces(found, static_cast<int64_t>(frames), options.min_face_share);
    out += "<tr" + std::string(few ? " class=\"few-faces\"" : "") + "><td class=\"l\">" +
           html_escape(name) + "</td><td>" + std::to_string(found) + " of " +
           std::to_string(frames) + "</td><td>" + (few ? "<b>" : "") + num(100.0 * share, 1) + "%" +
           (few ? "</b>" : "") + "</td><td>" + (found ? num(face.mean_confidence(), 3) : "-") +
           "</td></tr>";
    if (few)
      warnings += "<p class=\"warning\"><b>Warning: the " + name + " was found in fewer than " +
                  num(100.0 * options.min_face_share, 0) +
                  "% of the frames; its statistics rest on the frames it was found in.</b></p>";
  };
  if (r.video.mirrored) {
    side("left face", r.left);
    side("right face", r.right);
  } else {
    side("face", r.left);
  }
  out +=
      "</table><p class=\"note\">Confidence is the tracker's certainty on each frame with a "
      "face (OpenFace's <code>confidence</code> column, 0 to 1), averaged over those frames; "
      "frames without a face are left out of every statistic.</p>" +
      warnings;
  return out;
}

// |yaw| over time with the bands' limits and the plan's windows: when the head turned, so that
// task windows can avoid those stretches.
std::string yaw_chart(const video_report& r, double largest_abs_yaw) {
  if (r.yaw.time_s.size() < 2)
    return "";
  chart_layout layout;
  layout.height = 120;
  layout.y_max = std::min(45.0, 5.0 * std::ceil(std::max(10.0, largest_abs_yaw) / 5.0));
  layout.y_step = 5.0;
  layout.windows = plan_windows(r);
  // Each line in its band's colour, as the yaw bands' bar below draws them.
  layout.references = {{3.0, "#2e8b3a", "good: |yaw| up to 3 degrees"},
                       {5.0, "#e69a00", "acceptable: |yaw| up to 5 degrees"}};
  const chart_series yaw{"|yaw|", "#555", r.yaw.time_s, r.yaw.abs_yaw_deg, r.yaw.face};
  const std::string caption = "|yaw| in degrees over time (dashed: 3&deg; and 5&deg;" +
                              std::string(r.plan ? "; shaded: the task plan's windows" : "") +
                              "; a gap: no face)";
  return "<figure class=\"yaw\"><figcaption>" + caption + "</figcaption>" +
         line_chart_svg("chart-yaw", "yaw-chart", "head yaw over time", {yaw}, layout) +
         "</figure>";
}

std::string quality(const video_report& r, const report_options& options) {
  std::string out = "<section id=\"quality\"><h2>Quality</h2>";
  out += r.video.mirrored ? "<h3>Head yaw (source face)</h3>" : "<h3>Head yaw</h3>";
  if (r.have_yaw) {
    int64_t bands[3] = {0, 0, 0};
    for (const double yaw : r.yaw.yaw_deg)
      ++bands[static_cast<int>(classify_yaw(yaw))];
    const double n = static_cast<double>(std::max<int64_t>(1, r.yaw.frames));
    out +=
        std::string(r.video.mirrored
                        ? "<p class=\"note\">The debug video's bands: good |yaw| &le; 3&deg;, "
                          "acceptable &le; 5&deg;, poor above. A turned head makes one half look "
                          "smaller and biases the comparison.</p>"
                        : "<p class=\"note\">The mirror job's bands: good |yaw| &le; 3&deg;, "
                          "acceptable &le; 5&deg;, poor above. A turned head makes one half of "
                          "the face look smaller: mirrored, it would bias a left/right "
                          "comparison.</p>") +
        "<table id=\"yaw\"><tr><th class=\"l\">band</th><th>frames</th><th>share</th><th "
        "class=\"l\"></th></tr>";
    const char* names[3] = {"good", "acceptable", "poor"};
    const char* colours[3] = {"#2e8b3a", "#e69a00", "#c8321e"};
    for (int b = 0; b < 3; ++b) {
      out += "<tr><td class=\"l\">" + std::string(names[b]) + "</td><td>" +
             std::to_string(bands[b]) + "</td><td>" +
             num(100.0 * static_cast<double>(bands[b]) / n, 1) +
             "%</td><td class=\"l\"><span class=\"bar\" style=\"width:" +
             num(200.0 * static_cast<double>(bands[b]) / n, 0) + "px;background:" + colours[b] +
             "\"></span></td></tr>";
    }
    out += "<tr><td class=\"l\">no face</td><td>" + std::to_string(r.yaw.no_face) + "</td><td>" +
           num(100.0 * static_cast<double>(r.yaw.no_face) / n, 1) + "%</td><td></td></tr></table>";
    if (!r.yaw.yaw_deg.empty()) {
      std::vector<double> abs_yaw;
      for (const double y : r.yaw.yaw_deg)
        abs_yaw.push_back(std::abs(y));
      std::sort(abs_yaw.begin(), abs_yaw.end());
      out += "<p class=\"note\">|yaw| median " + num(abs_yaw[abs_yaw.size() / 2], 1) +
             "&deg;, 95th percentile " + num(percentile95(abs_yaw), 1) + "&deg;.</p>";
      out += yaw_chart(r, abs_yaw.back());
    }
  } else {
    out += "<p class=\"note\">" + html_escape(r.yaw_note) + "</p>";
  }
  out += face_tracking(r, options);
  if (r.video.mirrored && options.stills > 0) {
    out += "<h3>Strongest asymmetry</h3>";
    detail::rest_levels rest;
    for (const auto& row : r.summary) {
      if (row.intensity && row.left.frames_with_face > 0 && row.right.frames_with_face > 0)
        rest[row.au] = {row.left.baseline, row.right.baseline};
    }
    const auto frames =
        detail::strongest_asymmetry_frames(r.left, r.right, options.stills, 1.0, rest);
    if (frames.empty()) {
      out += "<p class=\"note\">No frame with both faces found.</p>";
    } else if (const mirrored_stills stills = mirrored_frames_as_jpeg(r, frames, 180);
               !stills.missing.empty()) {
      out += "<p class=\"note\">" + html_escape(stills.missing) + ": no stills.</p>";
    } else {
      out +=
          "<p class=\"note\">Frames where the two mirrored faces' movements differ most: the sum "
          "over AU intensities of |(R &minus; rest<sub>R</sub>) &minus; (L &minus; "
          "rest<sub>L</sub>)|, each side's rest its baseline (a difference the face holds at "
          "rest does not choose them), at least 1 s apart.</p><div class=\"stills\">";
      for (size_t i = 0; i < frames.size(); ++i)
        out += detail::still_figure(frames[i], r.left.timestamp_s[static_cast<size_t>(frames[i])],
                                    stills.right[i], stills.left[i], "");
      out += "</div>";
    }
  }
  out += "</section>\n";
  return out;
}

using input_now = analysis_record::input_state;

std::string input_changed_warning(const std::optional<analysis_record>& record) {
  if (!record || record->input_now != input_now::changed)
    return "";
  return "<p class=\"warning input-changed\"><b>The input has changed since these AU files were "
         "made:</b> " +
         html_escape(record->input) +
         " is not the file that was analysed (see Provenance). Analyse it again before "
         "relying on this report.</p>";
}

// "2026-12-07T16:40:12Z" as "2026-12-07 16:40:12 UTC"; anything else as recorded.
std::string readable_utc(const std::string& iso) {
  if (iso.size() == 20 && iso[10] == 'T' && iso[19] == 'Z')
    return iso.substr(0, 10) + " " + iso.substr(11, 8) + " UTC";
  return iso;
}

std::string provenance(const video_report& r, const report_options& options,
                       const model_checksums& models,
                       const std::optional<analysis_record>& record) {
  std::string out = "<section id=\"provenance\"><h2>Provenance</h2><table>";
  const auto row = [&](const std::string& k, const std::string& v) {
    out += "<tr><th class=\"l\">" + k + "</th><td class=\"l\">" + v + "</td></tr>";
  };
  row("facemirror", html_escape(version()));
  if (record && !record->command.empty() && record->command != options.command) {
    row("AU files made by", "<code>" + html_escape(record->command) + "</code>");
    row("report written by", "<code>" + html_escape(options.command) + "</code>");
  } else {
    row("command", "<code>" + html_escape(options.command) + "</code>");
  }
  if (record && !record->working_dir.empty())
    row("run in", "<code>" + html_escape(record->working_dir) + "</code>");
  if (record && !record->finished.empty())
    row("AU files finished", html_escape(readable_utc(record->finished)));
  if (record && !record->options.empty()) {
    std::string options_text;
    for (const auto& [name, value] : record->options)
      options_text += (options_text.empty() ? "" : "; ") + name + ": " + value;
    row("options", html_escape(options_text) + " (those that shape the outputs, defaults too)");
  }
  if (record && record->input_now != input_now::not_checked) {
    const char* const now = record->input_now == input_now::unchanged ? "unchanged since"
                            : record->input_now == input_now::changed
                                ? "<b>changed since: not the file analysed</b>"
                                : "not readable here now (moved, or on another machine)";
    row("input analysed", "<code>" + html_escape(record->input) + "</code>, fingerprint <code>" +
                              html_escape(record->input_fingerprint) + "</code>; " + now);
  }
  if (r.video.source_video) {
    std::string line = html_escape(r.video.source_video->filename().string());
    try {
      if (is_image_file(*r.video.source_video)) {
        const cv::Mat image = read_image(*r.video.source_video);
        line += ": a still image, " + std::to_string(image.cols) + "x" + std::to_string(image.rows);
      } else {
        const video_info info = probe_video(*r.video.source_video);
        line += ": " + std::to_string(info.frame_count()) + " frames at " +
                num(info.average_fps, 3) + " frames/s, " + std::to_string(info.width) + "x" +
                std::to_string(info.height);
      }
    } catch (const std::exception& e) {
      line += " (" + html_escape(e.what()) + ")";
    }
    row("source copy", line);  // the mirror job's <stem>_source.*, beside the outputs
  }
  // The plan moves the baselines (its rest row) and makes the Tasks section: which plan it was.
  if (std::error_code ec;
      !r.video.tasks_csv.empty() && fs::is_regular_file(r.video.tasks_csv, ec)) {
    std::string digest;
    try {
      digest = "SHA-256 <code>" + detail::sha256_of_file(r.video.tasks_csv) + "</code>";
    } catch (const std::exception& e) {
      digest = html_escape(e.what());
    }
    row("task plan", html_escape(r.video.tasks_csv.filename().string()) + ", " + digest);
  }
  const double duration =
      r.left.rows() > 1 ? r.left.timestamp_s.back() - r.left.timestamp_s.front() : 0;
  row("AU files",
      html_escape(r.video.mirrored ? r.video.left_csv.filename().string() + ", " +
                                         r.video.right_csv.filename().string()
                                   : r.video.face_csv.filename().string()) +
          (!r.video.face_id ? std::string()
           : r.left.still_image
               ? ", face " + std::to_string(*r.video.face_id) + " (the image holds several)"
               : ", face_id " + std::to_string(*r.video.face_id) +
                     " (the tracker; the CSV holds several faces)") +
          ": " + std::to_string(r.left.rows()) + " frames" +
          (duration > 0 ? ", " + rate_from_timestamps(r.left.rows(), duration) + " frames/s" : ""));
  if (models.error.empty()) {
    row("models", html_escape(models.root) + " (" + std::to_string(models.files) +
                      " files; SHA-256 of the list below: <code>" + models.digest + "</code>)");
  } else {
    row("models", "not checked: " + html_escape(models.error));
  }
  out += "</table>";
  if (models.error.empty())
    out += "<details><summary>Model files (SHA-256, sha256sum's format)</summary><pre>" +
           html_escape(models.listing) + "</pre></details>";
  out += "</section>\n";
  return out;
}

}  // namespace

namespace detail {

std::string video_page(const video_report& r, const report_options& options,
                       const model_checksums& models) {
  const std::string stem = r.video.stem;
  std::string out = page_head("facemirror report: " + stem);
  out += "<header><h1>" + std::string(r.video.mirrored ? "Left/right AU report: " : "AU report: ") +
         html_escape(stem) + "</h1><p class=\"muted\">facemirror " + version() + " &middot; " +
         std::to_string(r.left.rows()) + " frames &middot; " + num(recording_end_s(r.left), 1) +
         " s &middot; <a href=\"index.html\">all videos</a></p></header>\n";
  out += "<nav><a href=\"#summary-section\">Summary</a>" +
         std::string(r.plan || !r.plan_error.empty() ? "<a href=\"#tasks\">Tasks</a>" : "") +
         "<a href=\"#charts\">Charts</a><a href=\"#quality\">Quality</a><a "
         "href=\"#provenance\">Provenance</a><a href=\"#definitions\">Definitions</a></nav>\n";
  const time_window summary_rest = summary_rest_window(r, options);
  out += "<section id=\"summary-section\"><h2>Summary</h2>" + input_changed_warning(r.record) +
         short_recording_warning(r, summary_rest) + head_turned_warning(r, options) +
         few_faces_warning(r, options) +
         rest_without_face_warning(r, summary_rest, "the summary's") +
         summary_table(r, options.thresholds) + "</section>\n";
  out += tasks_section(r, options);
  out += charts(r);
  out += quality(r, options);
  out += provenance(r, options, models, r.record);
  out += definitions(options, r.video.mirrored, r.plan.has_value(),
                     r.plan ? r.plan->rest : std::nullopt);
  out += "</body></html>\n";
  return out;
}

}  // namespace detail
}  // namespace facemirror

// The folder index's asymmetry overview: every mirrored video against every AU intensity, the
// heatmap of shared/research/asymmetry_report.md's recommendation 7 (videos stand for tasks:
// S1's users record one movement per video).

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "report/report_html.h"

namespace facemirror::detail {
namespace {

// The colours of the pages' left and right lines, as red, green, blue.
constexpr int left_rgb[3] = {0x1f, 0x5f, 0xbf};
constexpr int right_rgb[3] = {0xc8, 0x32, 0x1e};
// The deepest tint is 70% of the side's colour over white, so a cell's dark text stays legible.
constexpr double deepest_tint = 0.7;

// A cell's hover text: "<what>: SR 0.50, left weaker; excursion left 1.00, right 2.00".
std::string cell_title(const std::string& what, const symmetry_ratio& symmetry,
                       double left_excursion, double right_excursion) {
  const std::string excursions =
      "excursion left " + num(left_excursion) + ", right " + num(right_excursion);
  switch (symmetry.state) {
    case engagement::not_engaged:
      return what + ": not engaged; " + excursions;
    case engagement::side_without_face:
      return what + ": no face on one side";
    case engagement::no_face:
      return what + ": no face on either side";
    case engagement::weaker_side_still:
      return what + ": SR 0, no movement on the " + symmetry.weaker_side + " side; " + excursions;
    case engagement::engaged:
      break;
  }
  return what + ": SR " + num(symmetry.ratio) +
         (symmetry.weaker_side.empty() ? "" : ", " + symmetry.weaker_side + " weaker") + "; " +
         excursions;
}

// An SR cell tinted by the weaker side, grey where there is no ratio; `link` ("" for none) is
// where its number leads.
std::string ratio_cell(const symmetry_ratio& symmetry, const std::string& title,
                       const std::string& link) {
  const std::string hover = " title=\"" + html_escape(title) + "\"";
  if (symmetry.state == engagement::not_engaged ||
      symmetry.state == engagement::side_without_face || symmetry.state == engagement::no_face)
    return "<td class=\"gated\" style=\"background:#eeeeee\"" + hover + ">&ndash;</td>";
  const std::string ratio = num(symmetry.ratio);
  return "<td style=\"background:" + weaker_side_tint(symmetry) + "\"" + hover + ">" +
         (link.empty() ? ratio : "<a href=\"" + html_escape(link) + "\">" + ratio + "</a>") +
         "</td>";
}

std::string cell(const overview_row& video, const au_summary* row) {
  if (row == nullptr)
    return "<td></td>";
  return ratio_cell(
      row->symmetry, cell_title(row->au, row->symmetry, row->left.excursion, row->right.excursion),
      video.linked ? url_escape(video.stem + "_report.html") + "#chart-" + row->au : std::string());
}

}  // namespace

std::string weaker_side_tint(const symmetry_ratio& symmetry) {
  const int* rgb = symmetry.weaker_side == "left"    ? left_rgb
                   : symmetry.weaker_side == "right" ? right_rgb
                                                     : nullptr;
  const double share = rgb ? deepest_tint * std::clamp(1.0 - symmetry.ratio, 0.0, 1.0) : 0.0;
  char hex[8];
  int channel[3];
  for (int c = 0; c < 3; ++c)
    channel[c] = static_cast<int>(std::lround(255.0 + (rgb ? rgb[c] - 255.0 : 0.0) * share));
  std::snprintf(hex, sizeof(hex), "#%02x%02x%02x", channel[0], channel[1], channel[2]);
  return hex;
}

std::string asymmetry_overview(const std::vector<overview_row>& videos) {
  // The columns: every AU intensity any video has, by face region, then by name.
  std::vector<std::string> aus;
  for (const auto& video : videos) {
    for (const auto& row : *video.summary) {
      if (row.intensity && std::find(aus.begin(), aus.end(), row.au) == aus.end())
        aus.push_back(row.au);
    }
  }
  if (aus.empty())
    return {};
  const auto& regions = report_regions();
  const auto region_rank = [&](const std::string& au) {
    return std::find(regions.begin(), regions.end(), describe_au(au).region) - regions.begin();
  };
  std::stable_sort(aus.begin(), aus.end(), [&](const std::string& a, const std::string& b) {
    return std::make_pair(region_rank(a), a) < std::make_pair(region_rank(b), b);
  });

  std::string out =
      "<h2>Asymmetry overview</h2><p class=\"note\">Each cell is the symmetry ratio SR of one AU "
      "in one video (1 symmetric, 0 no movement on one side), tinted by the weaker side "
      "(<span class=\"left\">left</span> blue, <span class=\"right\">right</span> red), the "
      "deeper the lower SR; grey: not engaged (neither side rose 0.5 above rest) or no face on "
      "a side. A cell opens that AU's chart; hover for both excursions.</p>"
      "<table id=\"overview\"><thead><tr><th class=\"l\">video</th>";
  for (const auto& au : aus)
    out += "<th>" + au.substr(0, au.find('_')) + "</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& video : videos) {
    out += "<tr><td class=\"l\">" + html_escape(video.stem) + "</td>";
    for (const auto& au : aus) {
      const auto row = std::find_if(video.summary->begin(), video.summary->end(),
                                    [&](const au_summary& r) { return r.au == au; });
      out += cell(video, row == video.summary->end() ? nullptr : &*row);
    }
    out += "</tr>\n";
  }
  return out + "</tbody></table>";
}

}  // namespace facemirror::detail

namespace facemirror::detail {

namespace {

// A task's first cells in the index: its video, its name (linking its page's section where the
// page exists) and its window.
std::string task_cells(const task_overview_row& video, size_t index, const task_summary& t) {
  const std::string page =
      url_escape(video.stem + "_report.html") + "#task-" + std::to_string(index + 1);
  return "<tr><td class=\"l\">" + html_escape(video.stem) + "</td><td class=\"l\">" +
         (video.linked
              ? "<a href=\"" + html_escape(page) + "\">" + html_escape(t.task.label) + "</a>"
              : html_escape(t.task.label)) +
         "</td><td>" + window_text(t.task.window) + "</td>";
}

}  // namespace

std::string task_overview(const std::vector<task_overview_row>& videos) {
  std::string rows;
  for (const auto& video : videos) {
    for (size_t i = 0; i < video.tasks->size(); ++i) {
      const task_summary& t = (*video.tasks)[i];
      rows += task_cells(video, i, t) +
              ratio_cell(t.symmetry,
                         cell_title(t.task.label, t.symmetry, t.left_excursion, t.right_excursion),
                         "") +
              "<td class=\"l\">" +
              (t.symmetry.weaker_side.empty() ? "" : html_escape(t.symmetry.weaker_side)) +
              "</td></tr>\n";
    }
  }
  if (rows.empty())
    return {};
  return "<h2>Tasks</h2><p class=\"note\">Every task of the videos with a task plan: the SR of "
         "its primary AUs' summed excursions, tinted as above; the numbers of every task and AU "
         "are in <code>task_summary.csv</code>.</p><table id=\"task-overview\"><thead><tr><th "
         "class=\"l\">video</th><th class=\"l\">task</th><th>window</th><th>SR</th><th "
         "class=\"l\">weaker side</th></tr></thead><tbody>\n" +
         rows + "</tbody></table>";
}

std::string face_task_overview(const std::vector<task_overview_row>& videos) {
  std::string rows;
  for (const auto& video : videos) {
    for (size_t i = 0; i < video.tasks->size(); ++i) {
      const task_summary& t = (*video.tasks)[i];
      rows += task_cells(video, i, t) + "<td>" + num(t.left_excursion) + "</td><td>" +
              std::to_string(t.left_faces) + " of " + std::to_string(t.frames) + "</td></tr>\n";
    }
  }
  if (rows.empty())
    return {};
  return "<h2>Tasks of one-face videos</h2><p class=\"note\">Every task of the one-face videos "
         "with a task plan: the summed excursion E of its primary AUs; the numbers of every task "
         "and AU are in <code>task_aus_summary.csv</code>.</p><table id=\"face-task-overview\">"
         "<thead><tr><th class=\"l\">video</th><th class=\"l\">task</th><th>window</th><th>E</th>"
         "<th>frames with a face</th></tr></thead><tbody>\n" +
         rows + "</tbody></table>";
}

}  // namespace facemirror::detail

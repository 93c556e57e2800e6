// The page's task section: a video's movement tasks (<stem>_tasks.csv) side by side.

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>

#include "report/report_html.h"

namespace facemirror::detail {
namespace {

namespace fs = std::filesystem;

std::string joined_aus(const task_window& task) {
  std::string out;
  for (const auto& au : task.primary)
    out += (out.empty() ? "<b>" : " + <b>") + html_escape(au.substr(0, 4)) + "</b>";
  for (const auto& au : task.secondary)
    out += ", " + html_escape(au.substr(0, 4));
  return out;
}

// "48 / 50" per side (one face: "48"), a side below the share in bold.
std::string faces_cell(const task_summary& t, bool pair, double min_share) {
  const auto side = [&](int64_t faces) {
    const std::string text = std::to_string(faces);
    return few_faces(faces, t.frames, min_share) ? "<b>" + text + "</b>" : text;
  };
  const bool flagged = few_faces(t.left_faces, t.frames, min_share) ||
                       (pair && few_faces(t.right_faces, t.frames, min_share));
  return std::string("<td") + (flagged ? " class=\"few-faces\"" : "") + ">" + side(t.left_faces) +
         (pair ? " / " + side(t.right_faces) : std::string()) + " of " + std::to_string(t.frames) +
         "</td>";
}

// A number per side: "0.52 / 0.48", or the one face's "0.52".
std::string sides(double left, double right, bool pair, int decimals = 2) {
  return pair ? num(left, decimals) + " / " + num(right, decimals) : num(left, decimals);
}

// The same for a task's per-side numbers, "&ndash;" for a side without a face in the window
// (a 0.00 there would read as a measured absence of movement).
std::string task_sides(const task_summary& t, double left, double right, bool pair,
                       const std::function<std::string(double)>& text) {
  const auto one = [&](double value, int64_t faces) {
    return faces > 0 ? text(value) : std::string("&ndash;");
  };
  return pair ? one(left, t.left_faces) + " / " + one(right, t.right_faces)
              : one(left, t.left_faces);
}

// One side's rows of `column` inside the task's window, as a chart series.
chart_series window_series(const au_series& face, const std::string& column,
                           const time_window& window, const char* label, const char* colour) {
  chart_series out{label, colour, {}, {}, {}};
  const au_column* values = face.find(column);
  for (size_t i = 0; values != nullptr && i < face.rows(); ++i) {
    if (!window.contains(face.timestamp_s[i]))
      continue;
    out.time_s.push_back(face.timestamp_s[i]);
    out.values.push_back(values->values[i]);
    out.valid.push_back(face.success[i]);
  }
  return out;
}

// Each primary AU over the task's window (recommendation 7): both sides, their baselines
// dashed, their peaks ringed.
std::string task_charts(const video_report& r, const task_summary& t, size_t index) {
  std::string out;
  for (const auto& au : t.aus) {
    if (au.role != task_au_role::primary)
      continue;
    const bool pair = r.video.mirrored;
    const std::vector<chart_series> series =
        pair ? std::vector<chart_series>{window_series(r.right, au.au, t.task.window, "Right",
                                                       right_colour),
                                         window_series(r.left, au.au, t.task.window, "Left",
                                                       left_colour)}
             : std::vector<chart_series>{
                   window_series(r.left, au.au, t.task.window, "Face", face_colour)};
    if (series[0].time_s.empty())
      continue;
    chart_layout layout;
    layout.width = 360;
    layout.height = 130;
    std::vector<const side_stats*> measured = {&au.left};
    if (pair)
      measured.insert(measured.begin(), &au.right);
    for (const side_stats* side : measured) {
      if (side->frames_with_face == 0)  // no face in the window: nothing measured to mark
        continue;
      const char* colour = !pair ? face_colour : side == &au.right ? right_colour : left_colour;
      const std::string name = !pair ? "face" : side == &au.right ? "right" : "left";
      layout.references.push_back(
          {side->baseline, colour, name + " at rest " + num(side->baseline)});
      layout.markers.push_back(
          {side->peak_time_s, side->peak, colour,
           name + " peak " + num(side->peak) + " at " + num(side->peak_time_s) + " s"});
    }
    const std::string caption = au.au + " " + describe_au(au.au).name;
    out += "<figure class=\"task-chart\"><figcaption>" + html_escape(caption) + "</figcaption>" +
           line_chart_svg("task-" + std::to_string(index + 1) + "-" + au.au, "task-chart",
                          caption + " during " + t.task.label, series, layout) +
           "</figure>";
  }
  return out.empty() ? "" : "<div class=\"task-charts\">" + out + "</div>";
}

// One task's AUs (primary and secondary) in detail, then the AUs of other face regions that
// rose with the movement: synkinesis, values only (recommendation 6).
std::string task_detail(const video_report& r, const task_summary& t, size_t index,
                        const std::string& stills, const report_options& options) {
  std::string out = "<div class=\"task\" id=\"task-" + std::to_string(index + 1) + "\"><h3>" +
                    html_escape(t.task.label) + " <span class=\"muted\">" +
                    window_text(t.task.window) + "</span></h3>" + stills + task_charts(r, t, index);
  if (!t.task.note.empty())
    out += "<p class=\"note\">" + html_escape(t.task.note) + ".</p>";
  const bool pair = r.video.mirrored;
  const auto excursion = [&](double e) { return excursion_text(e, options.thresholds); };
  out += pair ? "<table class=\"task-aus\"><tr><th class=\"l\">AU</th><th "
                "class=\"l\">movement</th><th class=\"left\">p95 L</th><th class=\"right\">p95 "
                "R</th><th>rest L / R</th><th>E<sub>L</sub> / E<sub>R</sub></th><th>SR</th><th "
                "class=\"l\">weaker side</th></tr>"
              : "<table class=\"task-aus\"><tr><th class=\"l\">AU</th><th "
                "class=\"l\">movement</th><th>p95</th><th>rest</th><th>E</th></tr>";
  std::set<std::string> task_regions;
  for (const auto& au : t.aus) {
    if (au.role == task_au_role::other)
      continue;
    if (au.role == task_au_role::primary)
      task_regions.insert(describe_au(au.au).region);
    out += "<tr data-au=\"" + html_escape(au.au) + "\"><td class=\"l\">" +
           (au.role == task_au_role::primary ? "<b>" + html_escape(au.au) + "</b>"
                                             : html_escape(au.au)) +
           "</td><td class=\"l\">" + describe_au(au.au).name + "</td>" +
           (pair ? "<td class=\"left\">" + num(au.left.p95) + "</td><td class=\"right\">" +
                       num(au.right.p95) + "</td>"
                 : "<td>" + num(au.left.p95) + "</td>") +
           "<td>" + sides(au.left.baseline, au.right.baseline, pair) + "</td><td>" +
           (pair ? excursion(au.left.excursion) + " / " + excursion(au.right.excursion)
                 : excursion(au.left.excursion)) +
           "</td>" + (pair ? symmetry_cells(au.symmetry) : std::string()) + "</tr>";
  }
  out += "</table>";

  // AUs outside the task's list that rose with it: in other face regions, possible synkinesis;
  // in the task's own region, an antagonist or a neighbour (a brow lowered in a brow raise, a
  // nose wrinkled in a smile), which a grader also wants to see.
  std::string others, same_region;
  for (const auto& au : t.aus) {
    if (au.role != task_au_role::other ||
        std::max(au.left.excursion, au.right.excursion) < options.thresholds.engaged_min)
      continue;
    const bool own_region = task_regions.count(describe_au(au.au).region) != 0;
    (own_region ? same_region : others) +=
        "<tr data-au=\"" + html_escape(au.au) + "\"><td class=\"l\">" + html_escape(au.au) +
        "</td><td class=\"l\">" + describe_au(au.au).name + " (" + describe_au(au.au).region +
        ")</td>" +
        (pair ? "<td class=\"left\">" + excursion(au.left.excursion) + "</td><td class=\"right\">" +
                    excursion(au.right.excursion) + "</td>"
              : "<td>" + excursion(au.left.excursion) + "</td>") +
        "</tr>";
  }
  const std::string excursion_header =
      "<tr><th class=\"l\">AU</th><th class=\"l\">movement</th>" +
      std::string(pair ? "<th class=\"left\">E<sub>L</sub></th><th "
                         "class=\"right\">E<sub>R</sub></th>"
                       : "<th>E</th>") +
      "</tr>";
  if (!same_region.empty())
    out += "<p class=\"note\">Other AUs of the task's own face region that rose by " +
           num(options.thresholds.engaged_min) +
           " or more during the task (not this task's AUs: an antagonist or a neighbour; values "
           "only):</p><table class=\"same-region\">" +
           excursion_header + same_region + "</table>";
  out += others.empty()
             ? "<p class=\"note synkinesis-none\">No AU of another face region rose by " +
                   num(options.thresholds.engaged_min) + " or more during the task.</p>"
             : "<p class=\"note\">AUs of other face regions that rose by " +
                   num(options.thresholds.engaged_min) +
                   " or more during the task (possible synkinesis; values only, no "
                   "score):</p><table class=\"synkinesis\">" +
                   excursion_header + others + "</table>";
  return out + "</div>\n";
}

// Per task, both mirrored faces at rest and at the task's peak (recommendation 8), one
// decoding pass per video for all of them; none without stills or the videos.
std::vector<std::string> task_stills(const video_report& r, const report_options& options) {
  if (!r.video.mirrored || options.stills == 0)
    return {};
  std::vector<int64_t> frames;
  if (r.rest_row >= 0)
    frames.push_back(r.rest_row);
  for (const auto& t : r.tasks) {
    if (t.peak_row >= 0)
      frames.push_back(t.peak_row);
  }
  if (frames.empty())
    return {};
  const mirrored_stills stills = mirrored_frames_as_jpeg(r, frames, 150);
  if (!stills.missing.empty())
    return {};  // said under "Strongest asymmetry"
  const std::vector<std::string>& right = stills.right;
  const std::vector<std::string>& left = stills.left;
  const auto time_of = [&](int64_t row) { return r.left.timestamp_s[static_cast<size_t>(row)]; };
  std::string at_rest;
  size_t next = 0;
  if (r.rest_row >= 0) {
    at_rest = still_figure(r.rest_row, time_of(r.rest_row), right[0], left[0], "rest");
    next = 1;
  }
  std::vector<std::string> out;
  for (const auto& t : r.tasks) {
    std::string pair = at_rest;
    if (t.peak_row >= 0) {
      pair += still_figure(t.peak_row, time_of(t.peak_row), right[next], left[next], "peak");
      ++next;
    }
    out.push_back(pair.empty() ? "" : "<div class=\"stills task-stills\">" + pair + "</div>");
  }
  return out;
}

}  // namespace

std::string tasks_section(const video_report& r, const report_options& options) {
  const auto excursion = [&](double e) { return excursion_text(e, options.thresholds); };
  if (!r.plan_error.empty())
    return "<section id=\"tasks\"><h2>Tasks</h2><p class=\"warning\">The task plan cannot be "
           "used, so this page has no task section: " +
           html_escape(r.plan_error) +
           ". Correct the plan and run <code>facemirror report</code> on this folder again; the "
           "rest of the page does not depend on it.</p></section>\n";
  if (!r.plan)
    return "";
  const task_plan& plan = *r.plan;
  const time_window rest = rest_window(plan, r.left.timestamp_s, options.thresholds);
  std::string out =
      "<section id=\"tasks\"><h2>Tasks</h2>" + rest_without_face_warning(r, rest, "the tasks'") +
      "<p class=\"note\">From <code>" + html_escape(plan.source.filename().string()) + "</code>. ";
  const bool pair = r.video.mirrored;
  out += "Rest: " +
         (plan.rest ? window_text(*plan.rest) + " (the plan's rest row)"
                    : "the first " + num(options.thresholds.baseline_s, 1) +
                          " s of the recording (the plan has no rest row)") +
         (pair ? ". Per task and side, E = max(0, p95 over the task &minus; median at rest), over "
                 "frames with a face; the task's E sums its primary AUs (bold), and its SR "
                 "compares the two sums under the summary's activation gate.</p>"
               : ". Per task, E = max(0, p95 over the task &minus; median at rest), over frames "
                 "with a face; the task's E sums its primary AUs (bold). This video has one face: "
                 "no left/right comparison (the mirror job's mirrored faces give it).</p>");
  if (r.tasks.empty())
    return out + "<p class=\"note\">The plan names no task besides rest.</p></section>\n";

  out += pair ? "<table id=\"task-summary\"><tr><th class=\"l\">task</th><th>window</th><th "
                "class=\"l\">AUs</th><th>E<sub>L</sub> / E<sub>R</sub></th><th>SR</th><th "
                "class=\"l\">weaker side</th><th>frames with a face L / R</th><th>mean "
                "confidence L / R</th></tr>"
              : "<table id=\"task-summary\"><tr><th class=\"l\">task</th><th>window</th><th "
                "class=\"l\">AUs</th><th>E</th><th>frames with a face</th><th>mean "
                "confidence</th></tr>";
  std::string warnings;
  const double recording_end = recording_end_s(r.left);
  const double frame_s = r.left.rows() > 0 ? recording_end - r.left.timestamp_s.back() : 0.0;
  for (size_t i = 0; i < r.tasks.size(); ++i) {
    const task_summary& t = r.tasks[i];
    out += "<tr data-task=\"" + html_escape(t.task.name) + "\"><td class=\"l\"><a href=\"#task-" +
           std::to_string(i + 1) + "\">" + html_escape(t.task.label) + "</a></td><td>" +
           window_text(t.task.window) + "</td><td class=\"l\">" + joined_aus(t.task) + "</td><td>" +
           task_sides(t, t.left_excursion, t.right_excursion, pair, excursion) + "</td>" +
           (pair ? symmetry_cells(t.symmetry) : std::string()) +
           faces_cell(t, pair, options.min_face_share) + "<td>" +
           task_sides(t, t.left_confidence, t.right_confidence, pair,
                      [](double confidence) { return num(confidence, 3); }) +
           "</td></tr>";
    const std::string task = html_escape(t.task.label) + " (" + window_text(t.task.window) + ")";
    if (t.frames == 0)
      warnings += "<li>" + task + ": the window holds no frame of the recording.</li>";
    else if (t.left_faces == 0 || (pair && t.right_faces == 0))
      warnings += "<li>" + task + ": no face was found in the window" +
                  (pair && (t.left_faces > 0 || t.right_faces > 0)
                       ? std::string(" on the ") + (t.left_faces == 0 ? "left" : "right") + " side"
                       : std::string()) +
                  ": it has no numbers there.</li>";
    else if (few_faces(t.left_faces, t.frames, options.min_face_share) ||
             (pair && few_faces(t.right_faces, t.frames, options.min_face_share)))
      warnings += "<li>" + task + ": a face was found in fewer than " +
                  num(100.0 * options.min_face_share, 0) +
                  "% of the window's frames; its numbers rest on the frames it was found "
                  "in.</li>";
    // Without a rest row the rest is the first second, which a task may start in: its baseline
    // then holds the movement, and its E understates it (a rest row that overlaps a task is
    // refused with the plan; the implicit one is said here).
    if (!plan.rest && t.task.window.start_s < rest.end_s && t.task.window.end_s > rest.start_s)
      warnings += "<li>" + task + ": it overlaps the rest the baselines come from (" +
                  window_text(rest) +
                  ", the plan having no rest row): a movement there is in its own baseline, and "
                  "its E understates it. Give the plan a rest row before the first task.</li>";
    // Half a frame of slack: a window that ends where the recording does (its last frame's end,
    // computed from the timestamps) lacks no frame.
    if (t.frames > 0 && recording_end + 0.5 * frame_s < t.task.window.end_s)
      warnings += "<li>" + task + ": the recording ends at " + num(recording_end, 1) +
                  " s; the numbers are of " +
                  window_text(time_window{t.task.window.start_s, recording_end}) + " only.</li>";
  }
  out += "</table>";
  if (!warnings.empty())
    out += "<ul class=\"warning\" id=\"task-warnings\">" + warnings + "</ul>";
  const std::vector<std::string> stills = task_stills(r, options);
  for (size_t i = 0; i < r.tasks.size(); ++i)
    out += task_detail(r, r.tasks[i], i, stills.empty() ? "" : stills[i], options);
  return out + "</section>\n";
}

}  // namespace facemirror::detail

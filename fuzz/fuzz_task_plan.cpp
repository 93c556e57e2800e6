// Task plans (<stem>_tasks.csv): a clinician writes them by hand, so the report reads whatever
// a plan holds. A plan either parses into windows the report can use (0 <= start < end, a name,
// at least one AU, every AU an intensity column) or is refused with facemirror::error; a plan
// that parses is summarised on a small mirrored pair without breaking its contracts: a summary
// per task, every symmetry ratio in [0, 1], and a task table of a header, a row per task and
// one per AU. format_task_plan() of a plan reads back to the same plan.
#include <cmath>
#include <string>

#include "facemirror/report/report.h"
#include "facemirror/report/tasks.h"

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace facemirror;
  const std::string text(reinterpret_cast<const char*>(data), size);
  static const std::string header =
      "frame, face_id, timestamp, confidence, success, AU01_r, AU02_r, AU12_r, AU45_r\n";
  static const au_series left =
      parse_au_series(header +
                          "1, 0, 0.0, 0.9, 1, 0.2, 0, 0, 0\n2, 0, 1.0, 0.9, 1, 2.0, 1.0, 0.5, 0\n"
                          "3, 0, 2.0, 0.9, 1, 0.1, 0, 3.0, 1.0\n4, 0, 3.0, 0.1, 0, 0, 0, 0, 0\n",
                      "left.csv");
  static const au_series right =
      parse_au_series(header +
                          "1, 0, 0.0, 0.9, 1, 0, 0, 0, 0\n2, 0, 1.0, 0.8, 1, 0.5, 0.5, 0, 0\n"
                          "3, 0, 2.0, 0.9, 0, 0, 0, 0, 0\n4, 0, 3.0, 0.9, 1, 0, 0, 1.5, 2.5\n",
                      "right.csv");
  return fuzz::parse_or_reject([&] {
    const task_plan plan = parse_task_plan(text, "plan.csv");
    const auto usable = [](const time_window& w) {
      return std::isfinite(w.start_s) && std::isfinite(w.end_s) && w.start_s >= 0 &&
             w.start_s < w.end_s;
    };
    if (plan.rest)
      fuzz::check(usable(*plan.rest));
    size_t rows = 1;
    for (const task_window& task : plan.tasks) {
      fuzz::check(usable(task.window) && !task.name.empty() && !task.primary.empty());
      for (const auto* aus : {&task.primary, &task.secondary}) {
        for (const std::string& au : *aus)
          fuzz::check(au.size() == 6 && au.rfind("AU", 0) == 0 && au.substr(4) == "_r");
      }
    }
    // What the app's editor saves reads back to the same plan.
    const task_plan again = parse_task_plan(format_task_plan(plan), "again.csv");
    const auto same_window = [](const time_window& a, const time_window& b) {
      return a.start_s == b.start_s && a.end_s == b.end_s;
    };
    fuzz::check(again.rest.has_value() == plan.rest.has_value() &&
                (!plan.rest || same_window(*again.rest, *plan.rest)) &&
                again.tasks.size() == plan.tasks.size());
    for (size_t i = 0; i < plan.tasks.size(); ++i) {
      const task_window &a = again.tasks[i], &p = plan.tasks[i];
      fuzz::check(a.name == p.name && a.label == p.label && a.primary == p.primary &&
                  a.secondary == p.secondary && same_window(a.window, p.window));
    }
    const std::vector<task_summary> tasks = summarise_tasks(plan, left, right, {});
    fuzz::check(tasks.size() == plan.tasks.size());
    for (const task_summary& t : tasks) {
      fuzz::check(t.symmetry.ratio >= 0 && t.symmetry.ratio <= 1);
      rows += 1 + t.aus.size();
    }
    const auto lines_of = [](const std::string& csv) {
      size_t lines = 0;
      for (const char c : csv)
        lines += c == '\n' ? 1 : 0;
      return lines;
    };
    fuzz::check(lines_of(task_asymmetry_csv_header(false) +
                         task_asymmetry_csv_rows("v", tasks, false)) == rows);
    // One face (an aus job's) has the numbers it has as the left face of a pair.
    const std::vector<task_summary> one_face = summarise_tasks(plan, left, {});
    fuzz::check(one_face.size() == tasks.size());
    for (size_t i = 0; i < one_face.size() && i < tasks.size(); ++i) {
      const task_summary &one = one_face[i], &pair = tasks[i];
      fuzz::check(one.left_faces == pair.left_faces && one.frames == pair.frames &&
                  one.aus.size() == pair.aus.size() && one.right_faces == 0 &&
                  one.left_excursion == pair.left_excursion);
    }
    fuzz::check(lines_of(task_aus_csv_header(false) + task_aus_csv_rows("v", one_face, false)) ==
                rows);
  });
}

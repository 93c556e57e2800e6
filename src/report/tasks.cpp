#include "facemirror/report/tasks.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>

#include "facemirror/error.h"
#include "facemirror/output/atomic_file.h"

#include "core/file_bytes.h"
#include "report/csv_fields.h"

namespace facemirror {
namespace {

using detail::split_fields;
using detail::trim;

// "Brow raise", "brow-raise", "BROW_RAISE" -> "brow_raise": letters and digits (UTF-8 kept),
// every run of anything else one '_', so a name is one plain field of the task tables.
std::string canonical_name(const std::string& name) {
  std::string out;
  for (const char c : trim(name)) {
    const auto byte = static_cast<unsigned char>(c);
    const bool separator = byte < 0x80 && std::isalnum(byte) == 0;
    if (separator && (out.empty() || out.back() == '_'))
      continue;
    out += separator ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  while (!out.empty() && out.back() == '_')
    out.pop_back();
  return out;
}

// The AUs OpenFace 2.2 gives an intensity for (AU28 has a presence only).
const std::vector<std::string>& intensity_aus() {
  static const std::vector<std::string> aus = {"AU01", "AU02", "AU04", "AU05", "AU06", "AU07",
                                               "AU09", "AU10", "AU12", "AU14", "AU15", "AU17",
                                               "AU20", "AU23", "AU25", "AU26", "AU45"};
  return aus;
}

// "12", "AU12", "au12_r" -> "AU12_r"; "" when it is no AU.
std::string intensity_column(std::string au) {
  for (char& c : au)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (au.size() > 2 && au.compare(au.size() - 2, 2, "_R") == 0)
    au.resize(au.size() - 2);
  if (au.rfind("AU", 0) == 0)
    au = au.substr(2);
  if (au.empty() || au.size() > 2 ||
      !std::all_of(au.begin(), au.end(), [](char c) { return std::isdigit(c) != 0; }))
    return "";
  return "AU" + std::string(au.size() == 1 ? "0" : "") + au + "_r";
}

// The fewest digits that read back to the same double, never in exponent form (a spreadsheet
// shows 1000000, not 1e+06). 512 characters hold any double in fixed form.
std::string seconds_text(double value) {
  char text[512];
  const auto written =
      std::to_chars(std::begin(text), std::end(text), value, std::chars_format::fixed);
  return std::string(text, written.ptr);
}

// The fields of a plan's line; a spreadsheet's export may quote each ("Brow raise").
std::vector<std::string> plan_fields(const std::string& line) {
  std::vector<std::string> fields = split_fields(line);
  for (auto& field : fields) {
    if (field.size() >= 2 && field.front() == '"' && field.back() == '"')
      field = trim(field.substr(1, field.size() - 2));
  }
  return fields;
}

const task_window* find_standard(const std::string& name) {
  const std::string wanted = name == "eee"           ? "lower_lip"
                             : name == "eye_closure" ? "gentle_closure"
                                                     : name;
  for (const auto& task : standard_tasks()) {
    if (task.name == wanted)
      return &task;
  }
  return nullptr;
}

}  // namespace

const std::vector<task_window>& standard_tasks() {
  static const std::vector<task_window> tasks = {
      {"brow_raise", "Brow raise", {}, {"AU01_r", "AU02_r"}, {}, ""},
      {"gentle_closure",
       "Gentle eye closure",
       {},
       {"AU45_r"},
       {},
       "AU45 (blink) measures the lid's movement, not whether the eye closes fully: "
       "incomplete closure is for the stills to show"},
      {"tight_closure",
       "Tight eye closure",
       {},
       {"AU07_r"},
       {"AU45_r", "AU06_r"},
       "not whether the eye closes fully: incomplete closure is for the stills to show"},
      {"smile", "Smile", {}, {"AU12_r"}, {"AU06_r", "AU25_r"}, ""},
      {"snarl", "Snarl", {}, {"AU09_r"}, {"AU10_r"}, ""},
      {"pucker",
       "Pucker",
       {},
       {"AU23_r"},
       {"AU17_r"},
       "proxy: AU18 and AU22, the pucker's own AUs, are not in OpenFace"},
      {"lower_lip",
       "Lower lip / EEE",
       {},
       {"AU25_r"},
       {"AU20_r", "AU15_r", "AU26_r"},
       "proxy: AU16, the lower lip depressor, is not in OpenFace"},
  };
  return tasks;
}

task_plan parse_task_plan(const std::string& text, const std::filesystem::path& source) {
  const std::string where = "'" + source.string() + "'";
  task_plan plan;
  plan.source = source;
  // Excel's "CSV UTF-8" and Notepad start the file with a byte-order mark: not part of "task".
  const bool bom = text.rfind("\xEF\xBB\xBF", 0) == 0;
  std::istringstream in(bom ? text.substr(3) : text);
  std::string line;
  int64_t line_number = 0;
  std::vector<std::string> header;
  while (header.empty() && std::getline(in, line)) {
    ++line_number;
    if (!trim(line).empty())
      header = plan_fields(line);
  }
  for (auto& field : header)
    field = canonical_name(field);
  const auto column = [&](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  const int task_column = column("task"), start_column = column("start_s"),
            end_column = column("end_s"), aus_column = column("aus");
  // A spreadsheet set to a comma as decimal separator exports ';' between fields: one field.
  const bool semicolons = header.size() == 1 && line.find(';') != std::string::npos;
  if (task_column < 0 || start_column < 0 || end_column < 0)
    throw error(error_code::invalid_argument,
                where + ": the header needs the fields task, start_s and end_s (aus optional)" +
                    (semicolons ? ", separated by commas: its fields are separated by ';' (a "
                                  "spreadsheet's export where the comma is the decimal mark): "
                                  "export it with ',' between fields and '.' in numbers"
                                : ""));

  // Where each window was written, for the overlap check after the last row.
  int64_t rest_line = 0;
  std::vector<int64_t> task_lines;
  while (std::getline(in, line)) {
    ++line_number;
    if (trim(line).empty())
      continue;
    const std::string at = where + ": line " + std::to_string(line_number);
    std::vector<std::string> fields = plan_fields(line);
    if (fields.size() > header.size() || fields.size() < header.size() - (aus_column >= 0 ? 1 : 0))
      throw error(error_code::invalid_argument, at + " has " + std::to_string(fields.size()) +
                                                    " fields, the header " +
                                                    std::to_string(header.size()));
    fields.resize(header.size());
    const auto seconds = [&](int c) {
      const std::string& field = fields[static_cast<size_t>(c)];
      const std::optional<double> value = detail::parse_number(field);
      if (!value || *value < 0)
        throw error(error_code::invalid_argument, at + ", " + header[static_cast<size_t>(c)] +
                                                      ": '" + field + "' is not a time in seconds");
      return *value;
    };
    const time_window window{seconds(start_column), seconds(end_column)};
    if (window.end_s == window.start_s)
      throw error(error_code::invalid_argument,
                  at + ": the window is empty (it starts and ends at " +
                      fields[static_cast<size_t>(start_column)] + " s)");
    if (window.end_s < window.start_s)
      throw error(error_code::invalid_argument, at + ": the window ends (" +
                                                    fields[static_cast<size_t>(end_column)] +
                                                    " s) before it starts");
    const std::string& written = fields[static_cast<size_t>(task_column)];
    const std::string name = canonical_name(written);
    if (name.empty())
      throw error(error_code::invalid_argument, at + ": no task name");
    std::vector<std::string> aus;
    if (aus_column >= 0) {
      std::istringstream list(fields[static_cast<size_t>(aus_column)]);
      for (std::string au; list >> au;) {
        const std::string column_name = intensity_column(au);
        if (column_name.empty())
          throw error(error_code::invalid_argument,
                      at + ": '" + au + "' is not an AU (write AU12 or 12)");
        const auto& known = intensity_aus();
        if (std::find(known.begin(), known.end(), column_name.substr(0, 4)) == known.end()) {
          std::string measured;
          for (const auto& k : known)
            measured += (measured.empty() ? "" : " ") + k;
          throw error(error_code::invalid_argument, at + ": OpenFace measures no intensity of " +
                                                        column_name.substr(0, 4) + " (only " +
                                                        measured + ")");
        }
        if (std::find(aus.begin(), aus.end(), column_name) == aus.end())
          aus.push_back(column_name);
      }
    }
    if (name == "rest") {
      if (plan.rest)
        throw error(error_code::invalid_argument, at + ": a second rest window");
      plan.rest = window;
      rest_line = line_number;
      continue;
    }
    task_window task;
    if (const task_window* standard = find_standard(name); standard != nullptr && aus.empty()) {
      task = *standard;
    } else if (!aus.empty()) {
      // The AUs given: a custom movement, or a standard one measured on other AUs.
      task.name = name;
      task.label = written;
      task.primary = aus;
    } else {
      std::string known;
      for (const auto& movement : standard_tasks())
        known += (known.empty() ? "" : ", ") + movement.name;
      throw error(error_code::invalid_argument, at + ": '" + written +
                                                    "' is not a standard movement (" + known +
                                                    ", rest); name its AUs in an aus field");
    }
    task.window = window;
    // Each task is a table, charts and stills in the page: a plan this long is not one.
    if (plan.tasks.size() == max_tasks)
      throw error(error_code::invalid_argument,
                  at + ": more than " + std::to_string(max_tasks) + " tasks");
    plan.tasks.push_back(std::move(task));
    task_lines.push_back(line_number);
  }
  // Tasks may overlap each other (a movement and a part of it), but a baseline taken while the
  // face moves would hide the movement: most likely a typo in a time.
  for (size_t i = 0; plan.rest && i < plan.tasks.size(); ++i) {
    const time_window& task = plan.tasks[i].window;
    if (task.start_s < plan.rest->end_s && plan.rest->start_s < task.end_s)
      throw error(error_code::invalid_argument,
                  where + ": line " + std::to_string(task_lines[i]) + ": the window " +
                      seconds_text(task.start_s) + "-" + seconds_text(task.end_s) +
                      " s overlaps the rest window (line " + std::to_string(rest_line) + ", " +
                      seconds_text(plan.rest->start_s) + "-" + seconds_text(plan.rest->end_s) +
                      " s): the resting face must not be moving");
  }
  return plan;
}

task_plan read_task_plan(const std::filesystem::path& csv) {
  const auto text = detail::read_file_bytes(csv);
  if (!text)
    throw error(error_code::io,
                "cannot read '" + csv.string() + "': " + detail::unreadable_reason(csv));
  return parse_task_plan(*text, csv);
}

std::string task_plan_stem(const std::string& video_stem) {
  for (const std::string suffix : {"_left_mirrored", "_right_mirrored"}) {
    if (video_stem.size() > suffix.size() &&
        video_stem.compare(video_stem.size() - suffix.size(), suffix.size(), suffix) == 0)
      return video_stem.substr(0, video_stem.size() - suffix.size());
  }
  return video_stem;
}

std::filesystem::path task_plan_beside_video(const std::filesystem::path& video) {
  return video.parent_path() / (task_plan_stem(video.stem().string()) + "_tasks.csv");
}

plan_copy bring_task_plan(const std::filesystem::path& video,
                          const std::filesystem::path& output_dir, const std::string& report_stem) {
  namespace fs = std::filesystem;
  const fs::path plan = task_plan_beside_video(video);
  const fs::path copy = output_dir / (report_stem + "_tasks.csv");
  // What was last copied, to tell a copy the user has not touched from one edited since.
  const fs::path copied = output_dir / ".facemirror" / (report_stem + "_tasks.csv.copied");
  std::error_code ec;
  if (!fs::is_regular_file(plan, ec)) {
    // The plan removed beside the video (the app's "Remove plan"): so is its untouched copy.
    if (!fs::is_regular_file(copy, ec) || !fs::is_regular_file(copied, ec) ||
        detail::read_file_bytes(copy) != detail::read_file_bytes(copied))
      return plan_copy::unchanged;
    if (!fs::remove(copy, ec) && ec)
      throw error(error_code::io, "cannot remove '" + copy.string() + "': " + ec.message());
    fs::remove(copied, ec);
    return plan_copy::removed;
  }
  if (fs::exists(copy, ec)) {
    std::error_code plan_ec, copy_ec;
    const auto plan_time = fs::last_write_time(plan, plan_ec);
    const auto copy_time = fs::last_write_time(copy, copy_ec);
    if (plan_ec || copy_ec || plan_time <= copy_time ||
        detail::read_file_bytes(plan) == detail::read_file_bytes(copy))
      return plan_copy::unchanged;
  }
  atomic_copy(plan, copy)->commit();
  fs::create_directories(copied.parent_path(), ec);  // else atomic_copy says why, naming it
  atomic_copy(plan, copied)->commit();
  return plan_copy::copied;
}

std::vector<task_plan_row> task_plan_rows(const task_plan& plan) {
  std::vector<task_plan_row> rows;
  if (plan.rest)
    rows.push_back({"rest", *plan.rest, ""});
  for (const auto& task : plan.tasks) {
    const task_window* standard = find_standard(task.name);
    if (standard != nullptr && standard->primary == task.primary &&
        standard->secondary == task.secondary && standard->label == task.label) {
      rows.push_back({standard->name, task.window, ""});
      continue;
    }
    std::string aus;
    for (const auto& column : task.primary)
      aus += (aus.empty() ? "" : " ") + column.substr(0, column.size() - 2);  // AU14_r -> AU14
    rows.push_back({task.label, task.window, aus});
  }
  return rows;
}

std::string format_task_plan(const task_plan& plan) {
  // A name written in quotes keeps them: the reader takes one pair off.
  const auto name = [](const std::string& task) {
    return task.size() >= 2 && task.front() == '"' && task.back() == '"' ? '"' + task + '"' : task;
  };
  std::string csv = "task,start_s,end_s,aus\n";
  for (const auto& row : task_plan_rows(plan))
    csv += name(row.task) + "," + seconds_text(row.window.start_s) + "," +
           seconds_text(row.window.end_s) + "," + row.aus + "\n";
  return csv;
}

namespace {

// The window's share of faces and mean confidence for one side.
void count_faces(const au_series& face, const time_window& window, int64_t& frames, int64_t& faces,
                 double& confidence) {
  frames = 0;
  faces = 0;
  double sum = 0;
  for (size_t i = 0; i < face.rows(); ++i) {
    if (!window.contains(face.timestamp_s[i]))
      continue;
    ++frames;
    if (face.success[i]) {
      ++faces;
      sum += face.confidence[i];
    }
  }
  confidence = faces ? sum / static_cast<double>(faces) : 0.0;
}

// The row of `window` with both faces (one face: with it) where the `columns` of both sides
// sum highest.
int64_t peak_row_of(const au_series& left, const au_series* right, const time_window& window,
                    const std::vector<std::string>& columns) {
  int64_t best = -1;
  double best_sum = 0;
  for (size_t i = 0; i < left.rows(); ++i) {
    if (!window.contains(left.timestamp_s[i]) || !left.success[i] ||
        (right != nullptr && !right->success[i]))
      continue;
    double sum = 0;
    for (const auto& name : columns) {
      const au_column* l = left.find(name);
      const au_column* r = right != nullptr ? right->find(name) : nullptr;
      if (l != nullptr && (right == nullptr || r != nullptr))
        sum += l->values[i] + (r != nullptr ? r->values[i] : 0.0);
    }
    if (best < 0 || sum > best_sum) {
      best = static_cast<int64_t>(i);
      best_sum = sum;
    }
  }
  return best;
}

// The tasks of `left` and, for a mirrored pair, `right` (nullptr for one face, whose numbers
// are in the left fields; the right ones and the ratios stay unused).
std::vector<task_summary> summarise(const task_plan& plan, const au_series& left,
                                    const au_series* right,
                                    const asymmetry_thresholds& thresholds) {
  std::vector<task_summary> out;
  if (left.rows() == 0)
    return out;
  const time_window recording{-std::numeric_limits<double>::infinity(),
                              std::numeric_limits<double>::infinity()};
  const time_window rest = rest_window(plan, left.timestamp_s, thresholds);
  const auto baseline = [&](const au_series& face, const au_column& column) {
    const auto at_rest = window_median(column.values, face.success, face.timestamp_s, rest);
    return at_rest ? *at_rest
                   : window_median(column.values, face.success, face.timestamp_s, recording)
                         .value_or(0.0);
  };

  for (const auto& task : plan.tasks) {
    task_summary summary;
    summary.task = task;
    count_faces(left, task.window, summary.frames, summary.left_faces, summary.left_confidence);
    if (right != nullptr) {
      int64_t right_frames = 0;
      count_faces(*right, task.window, right_frames, summary.right_faces, summary.right_confidence);
    }
    const bool both_seen = summary.left_faces > 0 && summary.right_faces > 0;
    summary.peak_row = peak_row_of(left, right, task.window, task.primary);

    std::vector<std::string> order = task.primary;
    order.insert(order.end(), task.secondary.begin(), task.secondary.end());
    for (const auto& column : left.aus) {
      if (column.intensity && std::find(order.begin(), order.end(), column.name) == order.end())
        order.push_back(column.name);
    }
    for (const auto& name : order) {
      const au_column* l = left.find(name);
      const au_column* r = right != nullptr ? right->find(name) : nullptr;
      if (l == nullptr || (right != nullptr && r == nullptr))
        continue;
      task_au row;
      row.au = name;
      row.role =
          std::find(task.primary.begin(), task.primary.end(), name) != task.primary.end()
              ? task_au_role::primary
          : std::find(task.secondary.begin(), task.secondary.end(), name) != task.secondary.end()
              ? task_au_role::secondary
              : task_au_role::other;
      row.left = compute_window_stats(l->values, left.success, left.timestamp_s, task.window,
                                      baseline(left, *l));
      if (right != nullptr) {
        row.right = compute_window_stats(r->values, right->success, right->timestamp_s, task.window,
                                         baseline(*right, *r));
        if (both_seen)
          row.symmetry =
              compute_symmetry_ratio(row.left.excursion, row.right.excursion, thresholds);
        else
          row.symmetry.state = no_face_state(summary.left_faces, summary.right_faces);
      }
      if (row.role == task_au_role::primary) {
        summary.left_excursion += row.left.excursion;
        summary.right_excursion += row.right.excursion;
      }
      summary.aus.push_back(row);
    }
    if (right != nullptr) {
      if (both_seen)
        summary.symmetry =
            compute_symmetry_ratio(summary.left_excursion, summary.right_excursion, thresholds);
      else
        summary.symmetry.state = no_face_state(summary.left_faces, summary.right_faces);
    }
    out.push_back(std::move(summary));
  }
  return out;
}

}  // namespace

int64_t rest_row(const task_plan& plan, const au_series& left, const au_series& right,
                 const asymmetry_thresholds& thresholds) {
  if (left.rows() == 0 || left.rows() != right.rows())
    return -1;
  const time_window rest = rest_window(plan, left.timestamp_s, thresholds);
  std::vector<int64_t> rows;
  for (size_t i = 0; i < left.rows(); ++i) {
    if (rest.contains(left.timestamp_s[i]) && left.success[i] && right.success[i])
      rows.push_back(static_cast<int64_t>(i));
  }
  return rows.empty() ? -1 : rows[rows.size() / 2];
}

time_window rest_window(const task_plan& plan, const std::vector<double>& timestamp_s,
                        const asymmetry_thresholds& thresholds) {
  return plan.rest.value_or(baseline_window(timestamp_s, thresholds));
}

std::vector<task_summary> summarise_tasks(const task_plan& plan, const au_series& left,
                                          const au_series& right,
                                          const asymmetry_thresholds& thresholds) {
  if (left.rows() != right.rows())
    throw error(error_code::invalid_argument,
                "summarise_tasks: the two sides have different row counts");
  return summarise(plan, left, &right, thresholds);
}

std::vector<task_summary> summarise_tasks(const task_plan& plan, const au_series& face,
                                          const asymmetry_thresholds& thresholds) {
  return summarise(plan, face, nullptr, thresholds);
}

}  // namespace facemirror

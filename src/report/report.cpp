#include "facemirror/report/report.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <mutex>
#include <utility>

#include "facemirror/error.h"
#include "facemirror/output/atomic_file.h"
#include "facemirror/report/svg_chart.h"
#include "facemirror/version.h"

#include "report/csv_fields.h"
#include "report/report_html.h"
#include "report/report_model.h"

namespace facemirror {
namespace fs = std::filesystem;

namespace {

using detail::analyse;
using detail::checksum_models;
using detail::csv_field;
using detail::model_checksums;
using detail::num;
using detail::page_head;
using detail::video_page;
using detail::video_report;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A file the report reads as an OpenFace CSV: its header is OpenFace's video layout (timestamp,
// success, AUs) or its still images' (FaceLandmarkImg: a face column and AUs, as `facemirror
// aus photo.jpg` writes it).
bool looks_like_au_csv(const fs::path& file) {
  std::ifstream in(file);
  std::string header;
  std::getline(in, header);
  const bool video =
      header.find("timestamp") != std::string::npos && header.find("success") != std::string::npos;
  const bool still_image = header.rfind("face,", 0) == 0;
  return (video || still_image) && header.find("AU") != std::string::npos;
}

// A video's own AU table where the report would put one of its files (a video named
// asymmetry_summary.mp4, or x_asymmetry.mp4 beside the pair x): the data is not overwritten,
// nor removed as a stale table.
void refuse_if_au_data(const fs::path& target) {
  std::error_code ec;
  if (fs::is_regular_file(target, ec) && looks_like_au_csv(target))
    throw error(error_code::io, "'" + target.string() +
                                    "' is a video's AU table, where the report would write one "
                                    "of its own: not overwritten (rename that video and analyse "
                                    "it again)");
}

// A page of the user's own where the report would write one (index.html of a web site they
// chose as the output folder): the report's pages say they are facemirror's in their head, and
// any other HTML file is left as it is.
void refuse_if_someone_elses_page(const fs::path& target) {
  std::error_code ec;
  if (target.extension() != ".html" || !fs::is_regular_file(target, ec))
    return;
  std::ifstream in(target, std::ios::binary);
  std::string head(2048, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  if (head.find("<meta name=\"generator\" content=\"facemirror") == std::string::npos)
    throw error(error_code::io, "'" + target.string() +
                                    "' is not a page facemirror wrote: not overwritten (move it, "
                                    "or write the outputs to another folder)");
}

void write_whole(const fs::path& target, const std::string& bytes) {
  refuse_if_au_data(target);
  refuse_if_someone_elses_page(target);
  atomic_file file(target);
  file.write(bytes);
  file.commit();
}

// A table of an earlier report that no longer holds (its plan is gone), unless it is AU data.
void remove_table(const fs::path& target) {
  std::error_code ec;
  if (!(fs::is_regular_file(target, ec) && looks_like_au_csv(target)))
    fs::remove(target);
}

// A statistic of a side without a face (in the recording, or in a task's window): an empty cell,
// not a 0 that a group's statistics would average in as a face at rest.
std::string measured(int64_t frames_with_face, double value, int precision) {
  return frames_with_face > 0 ? num(value, precision) : std::string();
}

// p95, baseline, excursion, peak and peak time of a side within a task's window.
std::string task_side_cells(const side_stats& s) {
  const int64_t n = s.frames_with_face;
  return "," + measured(n, s.p95, 4) + "," + measured(n, s.baseline, 4) + "," +
         measured(n, s.excursion, 4) + "," + measured(n, s.peak, 4) + "," +
         measured(n, s.peak_time_s, 3);
}

}  // namespace

std::string asymmetry_csv_header(bool video_column) {
  std::string out = video_column ? "video," : "";
  out += "au,kind";
  for (const char* side : {"left", "right"}) {
    for (const char* field :
         {"frames_with_face", "mean", "p95", "peak", "peak_time_s", "baseline", "excursion"})
      out += std::string(",") + side + "_" + field;
  }
  out += ",asymmetry_index,symmetry_ratio,weaker_side,engagement\n";
  return out;
}

std::string asymmetry_csv_rows(const std::string& stem, const std::vector<au_summary>& rows,
                               bool video_column) {
  std::string out;
  for (const auto& row : rows) {
    if (video_column)
      out += csv_field(stem) + ",";
    out += row.au + (row.intensity ? ",intensity" : ",presence");
    for (const side_stats* s : {&row.left, &row.right}) {
      const int64_t n = s->frames_with_face;
      out += "," + std::to_string(n) + "," + measured(n, s->mean, 4) + "," +
             measured(n, s->p95, 4) + "," + measured(n, s->peak, 4) + "," +
             measured(n, s->peak_time_s, 3) + "," + measured(n, s->baseline, 4) + "," +
             measured(n, s->excursion, 4);
    }
    out += "," + (row.asymmetry ? num(*row.asymmetry, 4) : std::string());
    if (row.intensity) {
      const engagement e = row.symmetry.state;
      const bool has_ratio = e == engagement::engaged || e == engagement::weaker_side_still;
      out += "," + (has_ratio ? num(row.symmetry.ratio, 4) : std::string()) + "," +
             row.symmetry.weaker_side + "," + engagement_name(e);
    } else {
      out += ",,,";
    }
    out += "\n";
  }
  return out;
}

std::string task_asymmetry_csv_header(bool video_column) {
  std::string out = video_column ? "video," : "";
  out +=
      "task,start_s,end_s,frames,left_frames_with_face,left_mean_confidence,"
      "right_frames_with_face,right_mean_confidence,au,role";
  for (const char* side : {"left", "right"}) {
    for (const char* field : {"p95", "baseline", "excursion", "peak", "peak_time_s"})
      out += std::string(",") + side + "_" + field;
  }
  return out + ",symmetry_ratio,weaker_side,engagement\n";
}

std::string task_asymmetry_csv_rows(const std::string& stem, const std::vector<task_summary>& tasks,
                                    bool video_column) {
  const auto symmetry = [](const symmetry_ratio& s) {
    const bool has_ratio =
        s.state == engagement::engaged || s.state == engagement::weaker_side_still;
    return "," + (has_ratio ? num(s.ratio, 4) : std::string()) + "," + s.weaker_side + "," +
           engagement_name(s.state) + "\n";
  };
  std::string out;
  for (const auto& task : tasks) {
    const std::string window = (video_column ? csv_field(stem) + "," : std::string()) +
                               task.task.name + "," + num(task.task.window.start_s, 3) + "," +
                               num(task.task.window.end_s, 3) + "," + std::to_string(task.frames) +
                               "," + std::to_string(task.left_faces) + "," +
                               measured(task.left_faces, task.left_confidence, 4) + "," +
                               std::to_string(task.right_faces) + "," +
                               measured(task.right_faces, task.right_confidence, 4) + ",";
    std::string primary;
    for (const auto& au : task.task.primary)
      primary += (primary.empty() ? "" : "+") + au;
    out += window + primary + ",task,,," + measured(task.left_faces, task.left_excursion, 4) +
           ",,,,," + measured(task.right_faces, task.right_excursion, 4) + ",," +
           symmetry(task.symmetry);
    for (const auto& au : task.aus) {
      const char* role = au.role == task_au_role::primary     ? "primary"
                         : au.role == task_au_role::secondary ? "secondary"
                                                              : "other";
      out += window + au.au + "," + role + task_side_cells(au.left) + task_side_cells(au.right) +
             symmetry(au.symmetry);
    }
  }
  return out;
}

std::string task_aus_csv_header(bool video_column) {
  return std::string(video_column ? "video," : "") +
         "task,start_s,end_s,frames,frames_with_face,mean_confidence,au,role,p95,baseline,"
         "excursion,peak,peak_time_s\n";
}

std::string task_aus_csv_rows(const std::string& stem, const std::vector<task_summary>& tasks,
                              bool video_column) {
  std::string out;
  for (const auto& task : tasks) {
    const std::string window = (video_column ? csv_field(stem) + "," : std::string()) +
                               task.task.name + "," + num(task.task.window.start_s, 3) + "," +
                               num(task.task.window.end_s, 3) + "," + std::to_string(task.frames) +
                               "," + std::to_string(task.left_faces) + "," +
                               measured(task.left_faces, task.left_confidence, 4) + ",";
    std::string primary;
    for (const auto& au : task.task.primary)
      primary += (primary.empty() ? "" : "+") + au;
    out +=
        window + primary + ",task,,," + measured(task.left_faces, task.left_excursion, 4) + ",,\n";
    for (const auto& au : task.aus) {
      const char* role = au.role == task_au_role::primary     ? "primary"
                         : au.role == task_au_role::secondary ? "secondary"
                                                              : "other";
      out += window + au.au + "," + role + task_side_cells(au.left) + "\n";
    }
  }
  return out;
}

namespace {

// <stem>_tasks.csv, unless that is the AU table of a video named <stem>_tasks (then no plan).
fs::path plan_of(const fs::path& dir, const std::string& stem) {
  const fs::path plan = dir / (stem + "_tasks.csv");
  std::error_code ec;
  return fs::is_regular_file(plan, ec) && looks_like_au_csv(plan) ? fs::path() : plan;
}

}  // namespace

std::vector<report_video> find_report_videos(const fs::path& dir) {
  if (!fs::is_directory(dir))
    throw error(error_code::invalid_argument, "'" + dir.string() + "' is not a folder");
  std::map<std::string, report_video> found;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::error_code ec;  // a link that loops is no table of ours
    if (entry.is_regular_file(ec))
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  const std::string left_suffix = "_left_mirrored.csv";
  const std::string right_suffix = "_right_mirrored.csv";
  for (const auto& file : files) {
    // A pair with one of its CSVs gone is still a video: its entry fails naming the missing
    // file (rather than vanishing from the index while its old page stays).
    const std::string name = file.filename().string();
    const std::string suffix = ends_with(name, left_suffix)    ? left_suffix
                               : ends_with(name, right_suffix) ? right_suffix
                                                               : std::string();
    if (!suffix.empty()) {
      const std::string stem = name.substr(0, name.size() - suffix.size());
      if (found.count(stem) != 0)
        continue;
      report_video v;
      v.stem = stem;
      v.mirrored = true;
      v.left_csv = dir / (stem + left_suffix);
      v.right_csv = dir / (stem + right_suffix);
      // A photograph's mirror job writes PNG images where a video's writes MP4 videos.
      const std::string picture = fs::exists(dir / (stem + "_left_mirrored.png")) ? ".png" : ".mp4";
      v.left_video = dir / (stem + "_left_mirrored" + picture);
      v.right_video = dir / (stem + "_right_mirrored" + picture);
      v.head_pose_csv = dir / (stem + "_head_pose.csv");
      v.tasks_csv = plan_of(dir, stem);
      for (const auto& other : files) {
        if (other.stem() == stem + "_source")
          v.source_video = other;
      }
      found[stem] = v;
    }
  }
  for (const auto& file : files) {
    const std::string name = file.filename().string();
    // The report's own tables and task plans are not AU tables, whatever their names: a video
    // named x_tasks.mp4 or asymmetry_summary.mp4 is a video like any other.
    if (file.extension() != ".csv" || ends_with(name, "_mirrored.csv") ||
        ends_with(name, "_head_pose.csv"))
      continue;
    const std::string stem = file.stem().string();
    if (found.count(stem) != 0 || !looks_like_au_csv(file))
      continue;
    report_video v;
    v.stem = stem;
    v.face_csv = file;
    v.tasks_csv = plan_of(dir, stem);
    std::vector<int> faces;
    try {
      faces = read_face_ids(file);
    } catch (const std::exception&) {
      // Unreadable: analyse() names the file and the reason on the video's one entry.
    }
    if (faces.size() <= 1) {
      found[stem] = v;
      continue;
    }
    for (const int face : faces) {  // each tracked face its own page; the video's plan is theirs
      v.stem = stem + "_face" + std::to_string(face);
      v.face_id = face;
      found[v.stem] = v;
    }
  }
  std::vector<report_video> out;
  for (auto& [stem, v] : found)
    out.push_back(std::move(v));
  return out;
}

namespace {

// Every video of the folder, analysed (or why not), for the index and the pages.
struct folder_entry {
  report_video video;
  std::optional<video_report> report;
  std::string error;  // when report is empty
};

folder_entry analysed(report_video video, const report_options& options) {
  folder_entry entry;
  entry.video = std::move(video);
  try {
    entry.report = analyse(entry.video, options);
  } catch (const std::exception& e) {
    entry.error = e.what();
  }
  return entry;
}

// The folder's videos; throws for a folder without any.
std::vector<report_video> videos_to_report(const fs::path& dir) {
  std::vector<report_video> videos = find_report_videos(dir);
  if (videos.empty())
    throw error(error_code::invalid_argument,
                "'" + dir.string() +
                    "' holds no AU CSVs to report on (<stem>_left_mirrored.csv and "
                    "<stem>_right_mirrored.csv from 'facemirror mirror', or <stem>.csv from "
                    "'facemirror aus')");
  return videos;
}

std::vector<folder_entry> analyse_folder(const fs::path& dir, const report_options& options) {
  std::vector<report_video> videos = videos_to_report(dir);
  std::vector<folder_entry> entries;
  for (auto& video : videos)
    entries.push_back(analysed(std::move(video), options));
  return entries;
}

// A video's page and (mirror jobs) its asymmetry table.
report_result write_pages(const fs::path& dir, const folder_entry& entry,
                          const report_options& options, const model_checksums& models) {
  report_result result;
  result.stem = entry.video.stem;
  result.html = dir / (entry.video.stem + "_report.html");
  // A failed video's page and tables from an earlier report would be taken for this one's.
  const auto fail = [&](const std::string& why) {
    result.error = why;
    std::error_code ec;
    fs::remove(result.html, ec);
    for (const char* table : {"_asymmetry.csv", "_task_asymmetry.csv", "_task_aus.csv"}) {
      try {
        remove_table(dir / (entry.video.stem + table));
      } catch (const std::exception&) {  // the video has failed already, and says why
      }
    }
    return result;
  };
  if (!entry.report)
    return fail(entry.error);
  try {
    const video_report& r = *entry.report;
    result.plan_error = r.plan_error;
    write_whole(result.html, video_page(r, options, models));
    if (entry.video.mirrored)
      write_whole(
          dir / (entry.video.stem + "_asymmetry.csv"),
          asymmetry_csv_header(false) + asymmetry_csv_rows(entry.video.stem, r.summary, false));
    // A task table from an earlier plan that is gone would read as this one's.
    const fs::path task_csv =
        dir / (entry.video.stem + (entry.video.mirrored ? "_task_asymmetry.csv" : "_task_aus.csv"));
    if (r.plan && entry.video.mirrored)
      write_whole(task_csv, task_asymmetry_csv_header(false) +
                                task_asymmetry_csv_rows(entry.video.stem, r.tasks, false));
    else if (r.plan)
      write_whole(task_csv,
                  task_aus_csv_header(false) + task_aus_csv_rows(entry.video.stem, r.tasks, false));
    else
      remove_table(task_csv);
    result.ok = true;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  return result;
}

// What the folder's index shows of a video: a few numbers and its AU summary, not its series
// (a report_writer keeps these for every video it wrote a page for).
struct index_entry {
  report_video video;
  std::string error;  // why it could not be analysed; then nothing else is set
  size_t frames = 0;
  size_t left_faces = 0, right_faces = 0;  // frames with a face (one-face videos: left)
  std::optional<double> turned;            // detail::turned_share
  bool within_rest = false;                // detail::within_rest_window: no movement measured
  bool input_changed = false;              // since the AU files were made (the run's record)
  std::vector<au_summary> summary;
  std::vector<task_summary> tasks;
};

index_entry index_entry_of(const folder_entry& entry, const report_options& options) {
  index_entry out;
  out.video = entry.video;
  out.error = entry.report ? std::string() : entry.error;
  if (entry.report) {
    out.frames = entry.report->left.rows();
    out.left_faces = entry.report->left.frames_with_face();
    out.right_faces = entry.report->right.frames_with_face();
    out.turned = detail::turned_share(*entry.report);
    out.within_rest = detail::within_rest_window(
        *entry.report, detail::summary_rest_window(*entry.report, options));
    out.summary = entry.report->summary;
    out.tasks = entry.report->tasks;
    const auto& record = entry.report->record;
    out.input_changed = record && record->input_now == analysis_record::input_state::changed;
  }
  return out;
}

// The index's "with a face" cell: the frames with a face per side, in bold with the reason on
// hover where a side's share is below `min_share` (its page says more).
std::string faces_cell(const index_entry& entry, double min_share) {
  const auto few = [&](size_t faces) {
    return detail::few_faces(static_cast<int64_t>(faces), static_cast<int64_t>(entry.frames),
                             min_share);
  };
  const bool flagged = few(entry.left_faces) || (entry.video.mirrored && few(entry.right_faces));
  const std::string faces = std::to_string(entry.left_faces) +
                            (entry.video.mirrored ? " / " + std::to_string(entry.right_faces) : "");
  if (!flagged)
    return "<td>" + faces + "</td>";
  // Said in words too, not only in bold and on hover: a printed index keeps it.
  const size_t fewest =
      entry.video.mirrored ? std::min(entry.left_faces, entry.right_faces) : entry.left_faces;
  const double share =
      entry.frames ? static_cast<double>(fewest) / static_cast<double>(entry.frames) : 0.0;
  return "<td class=\"few-faces\" title=\"a face found in fewer than " + num(100.0 * min_share, 0) +
         "% of the frames\"><b>" + faces + "</b> <span class=\"warning\">(face lost: found in " +
         num(100.0 * share, 0) + "%)</span></td>";
}

// index.html (a row per video, linked where its page exists) and asymmetry_summary.csv.
void write_folder_index(const fs::path& dir, const std::vector<index_entry>& entries,
                        const std::vector<report_result>& failed_pages,
                        const report_options& options) {
  std::string summary = asymmetry_csv_header(true);
  std::string index_rows, failures;
  std::vector<detail::overview_row> overview;
  std::vector<detail::task_overview_row> task_rows;
  std::string task_summary = task_asymmetry_csv_header(true);
  std::vector<detail::task_overview_row> face_task_rows;
  std::string face_task_summary = task_aus_csv_header(true);
  size_t one_face_videos = 0;
  for (const auto& entry : entries) {
    const auto page_failure =
        std::find_if(failed_pages.begin(), failed_pages.end(),
                     [&](const report_result& r) { return r.stem == entry.video.stem; });
    const std::string error =
        page_failure != failed_pages.end() ? page_failure->error : entry.error;
    if (!error.empty()) {
      failures += "<li>" + html_escape(entry.video.stem) + ": " + html_escape(error) + "</li>";
      continue;
    }
    const report_video& video = entry.video;
    if (video.mirrored)
      summary += asymmetry_csv_rows(video.stem, entry.summary, true);
    // The index names each video's least symmetric engaged AU.
    const au_summary* lowest = nullptr;
    for (const auto& row : entry.summary) {
      const engagement e = row.symmetry.state;
      if (row.intensity && (e == engagement::engaged || e == engagement::weaker_side_still) &&
          (lowest == nullptr || row.symmetry.ratio < lowest->symmetry.ratio))
        lowest = &row;
    }
    const engagement first_state =
        entry.summary.empty() ? engagement::engaged : entry.summary.front().symmetry.state;
    std::string worst;
    if (video.mirrored)
      worst = entry.within_rest ? "none measured: the recording lies within its rest window"
              : lowest          ? lowest->au + " SR " + num(lowest->symmetry.ratio) +
                             (lowest->symmetry.weaker_side.empty()
                                  ? std::string(" (sides equal)")
                                  : " (" + lowest->symmetry.weaker_side + " weaker)")
              : first_state == engagement::side_without_face ? "no face on one side"
              : first_state == engagement::no_face           ? "no face found"
                                                             : "no AU engaged";
    const fs::path html = dir / (video.stem + "_report.html");
    const bool linked = fs::exists(html);
    if (video.mirrored)
      overview.push_back({video.stem, &entry.summary, linked});
    else
      ++one_face_videos;
    if (!entry.tasks.empty() && video.mirrored) {
      task_rows.push_back({video.stem, &entry.tasks, linked});
      task_summary += task_asymmetry_csv_rows(video.stem, entry.tasks, true);
    } else if (!entry.tasks.empty()) {
      face_task_rows.push_back({video.stem, &entry.tasks, linked});
      face_task_summary += task_aus_csv_rows(video.stem, entry.tasks, true);
    }
    index_rows += "<tr><td class=\"l\">" +
                  (linked ? "<a href=\"" + url_escape(html.filename().string()) + "\">" +
                                html_escape(video.stem) + "</a>"
                          : html_escape(video.stem)) +
                  (entry.turned && *entry.turned > options.max_turned_share
                       ? " <span class=\"warning head-turned\" title=\"the head turned more than "
                         "5 degrees in more than " +
                             num(100.0 * options.max_turned_share, 0) +
                             "% of the frames with a face\">(head turned " +
                             num(100.0 * *entry.turned, 0) + "%)</span>"
                       : std::string()) +
                  (entry.input_changed
                       ? " <span class=\"warning input-changed\" title=\"the input file is not "
                         "the one these AU files were made from\">(input changed since)</span>"
                       : std::string()) +
                  "</td><td class=\"l\">" + (video.mirrored ? "left/right" : "one face") +
                  "</td><td>" + std::to_string(entry.frames) + "</td>" +
                  faces_cell(entry, options.min_face_share) + "<td class=\"l\">" +
                  html_escape(worst) + "</td></tr>\n";
  }
  // A table that cannot be written (where a video's AU table is) is listed with the failures
  // and raised once index.html is written, so that the rest of the folder's report stands.
  std::string table_error;
  const auto write_table = [&](const std::string& name, const std::string& bytes) {
    try {
      if (bytes.empty())  // without a task in the folder, an earlier plan's table would mislead
        remove_table(dir / name);
      else
        write_whole(dir / name, bytes);
    } catch (const std::exception& e) {
      table_error = table_error.empty() ? e.what() : table_error;
      failures += "<li>" + html_escape(name) + ": " + html_escape(e.what()) + "</li>";
    }
  };
  write_table("asymmetry_summary.csv", overview.empty() ? std::string() : summary);
  write_table("task_summary.csv", task_rows.empty() ? std::string() : task_summary);
  write_table("task_aus_summary.csv", face_task_rows.empty() ? std::string() : face_task_summary);
  // The tables this folder has: a one-face video has no asymmetry table, only its AU CSV.
  const bool any_pair = !overview.empty();
  std::string tables;
  const auto table = [&](const std::string& name) {
    tables += (tables.empty() ? "" : ", ") + ("<code>" + name + "</code>");
  };
  if (any_pair) {
    table("asymmetry_summary.csv");
    table("&lt;video&gt;_asymmetry.csv");
  }
  if (!task_rows.empty())
    table("task_summary.csv");
  if (!face_task_rows.empty())
    table("task_aus_summary.csv");
  if (one_face_videos > 0)  // a one-face video's numbers are its frames' AUs
    table("&lt;video&gt;.csv (one face: its AUs per frame)");
  std::string index = page_head("facemirror reports: " + dir.filename().string());
  index += "<h1>facemirror reports</h1><p class=\"muted\">" +
           html_escape(fs::absolute(dir).string()) + " &middot; facemirror " + version() +
           " &middot; numbers for statistics: " + tables +
           "</p>"
           "<table id=\"videos\"><thead><tr><th class=\"l\">video</th><th "
           "class=\"l\">faces</th><th>frames</th><th>frames with a face" +
           std::string(any_pair ? " (left / right)" : "") +
           "</th><th class=\"l\">least symmetric engaged AU</th></tr></thead><tbody>\n" +
           index_rows + "</tbody></table>";
  index += detail::asymmetry_overview(overview);
  index += detail::task_overview(task_rows);
  index += detail::face_task_overview(face_task_rows);
  if (!failures.empty())
    index += "<h2>Failed</h2><ul id=\"failed\">" + failures + "</ul>";
  index += "</body></html>\n";
  write_whole(dir / "index.html", index);
  if (!table_error.empty())
    throw error(error_code::io, table_error);
}

}  // namespace

std::vector<report_result> write_report(const fs::path& dir, const report_options& options) {
  const std::vector<folder_entry> entries = analyse_folder(dir, options);
  const model_checksums models = checksum_models(options.models_dir);
  std::vector<report_result> results, failed;
  std::vector<index_entry> index;
  for (const auto& entry : entries) {
    index.push_back(index_entry_of(entry, options));
    const bool selected = options.stems.empty() ||
                          std::find(options.stems.begin(), options.stems.end(), entry.video.stem) !=
                              options.stems.end();
    if (!selected)
      continue;
    results.push_back(write_pages(dir, entry, options, models));
    if (!results.back().ok)
      failed.push_back(results.back());
  }
  write_folder_index(dir, index, failed, options);
  return results;
}

namespace {

// A file as it was when read: a report_writer re-reads a video's CSVs for the index only if
// one of them changed since its page was written.
struct file_stamp {
  std::uintmax_t size = 0;
  fs::file_time_type written{};
  bool operator==(const file_stamp& o) const { return size == o.size && written == o.written; }
};

std::vector<file_stamp> stamps_of(const report_video& video) {
  std::vector<file_stamp> out;
  for (const fs::path& csv : {video.left_csv, video.right_csv, video.face_csv}) {
    std::error_code ec;
    file_stamp stamp;
    if (!csv.empty()) {
      stamp.size = fs::file_size(csv, ec);
      stamp.written = fs::last_write_time(csv, ec);
    }
    out.push_back(stamp);
  }
  return out;
}

}  // namespace

struct report_writer::impl {
  fs::path dir;
  report_options options;
  mutable std::once_flag checksummed;
  mutable model_checksums models;
  mutable std::mutex mutex;                   // guards failed and indexed
  mutable std::vector<report_result> failed;  // pages that could not be written
  // Each page's video as the index shows it, with its CSVs' stamps when they were read.
  mutable std::map<std::string, std::pair<index_entry, std::vector<file_stamp>>> indexed;
};

report_writer::report_writer(fs::path dir, report_options options)
    : impl_(std::make_unique<impl>()) {
  impl_->dir = std::move(dir);
  impl_->options = std::move(options);
}

report_writer::~report_writer() = default;

report_result report_writer::write_video(const std::string& stem) const {
  report_result result;
  result.stem = stem;
  result.html = impl_->dir / (stem + "_report.html");
  try {
    std::call_once(impl_->checksummed,
                   [this] { impl_->models = checksum_models(impl_->options.models_dir); });
    result.error = "'" + impl_->dir.string() + "' holds no AU CSVs of '" + stem + "' to report on";
    for (auto& video : find_report_videos(impl_->dir)) {
      if (video.stem != stem)
        continue;
      std::vector<file_stamp> stamps = stamps_of(video);
      const folder_entry entry = analysed(std::move(video), impl_->options);
      result = write_pages(impl_->dir, entry, impl_->options, impl_->models);
      const std::lock_guard<std::mutex> lock(impl_->mutex);
      impl_->indexed[stem] = {index_entry_of(entry, impl_->options), std::move(stamps)};
    }
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  // The index lists the video as failed as long as its last try failed.
  const std::lock_guard<std::mutex> lock(impl_->mutex);
  auto& failed = impl_->failed;
  failed.erase(std::remove_if(failed.begin(), failed.end(),
                              [&](const report_result& r) { return r.stem == stem; }),
               failed.end());
  if (!result.ok)
    failed.push_back(result);
  return result;
}

void report_writer::write_index() const {
  const std::lock_guard<std::mutex> lock(impl_->mutex);
  std::vector<index_entry> entries;
  for (auto& video : videos_to_report(impl_->dir)) {
    const auto known = impl_->indexed.find(video.stem);
    if (known != impl_->indexed.end() && known->second.second == stamps_of(video)) {
      entries.push_back(known->second.first);
      entries.back().video = std::move(video);
    } else {
      entries.push_back(index_entry_of(analysed(std::move(video), impl_->options), impl_->options));
    }
  }
  write_folder_index(impl_->dir, entries, impl_->failed, impl_->options);
}

}  // namespace facemirror

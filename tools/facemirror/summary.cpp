// `facemirror summary OUTDIR [--manifest FILE]`: where a batch stands, from its outputs and the
// per-video status files (status.h); for a sharded mirror batch, the report's folder index.

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "facemirror/output/atomic_file.h"
#include "facemirror/report/report.h"

#include "commands.h"
#include "inputs.h"
#include "shards.h"
#include "status.h"

namespace facemirror::cli {
namespace {

namespace fs = std::filesystem;

struct summary_row {
  std::string input;
  std::string state;   // done, failed, missing
  std::string detail;  // failed: the reason; done: frame counts
};

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos)
    return text;
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"')
      quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// " [shard 3/10 on node07, Slurm task 1234_3, log OUTDIR/logs/1234_3.log]": where to look for
// more than the one-line reason (the log as submit.sh names it, when it is there).
std::string where_it_failed(const video_status& status, const fs::path& output_dir) {
  std::vector<std::string> parts;
  const std::string on_host = status.host.empty() ? "" : "on " + status.host;
  if (!status.shard.empty())
    parts.push_back("shard " + status.shard + (on_host.empty() ? "" : " " + on_host));
  else if (!on_host.empty())
    parts.push_back(on_host);
  if (!status.slurm_task.empty()) {
    parts.push_back("Slurm task " + status.slurm_task);
    const fs::path log = output_dir / "logs" / (status.slurm_task + ".log");
    if (std::error_code ec; fs::is_regular_file(log, ec))
      parts.push_back("log " + log.string());
  }
  if (parts.empty())
    return "";
  std::string text = " [";
  for (size_t i = 0; i < parts.size(); ++i)
    text += (i ? ", " : "") + parts[i];
  return text + "]";
}

summary_row row_for(const video_job& job, const fs::path& output_dir) {
  summary_row row;
  row.input = job.input.string();
  const auto status = read_status(status_file(output_dir, job.input, job.kind));
  if (status && !status->done) {
    row.state = "failed";
    row.detail = status->reason + where_it_failed(*status, output_dir);
    return row;
  }
  // A status file names what its attempt wrote (a mirror job may have run without AUs);
  // without one, the default outputs of the kind.
  const auto outputs =
      status && !status->outputs.empty() ? status->outputs : expected_outputs(job, true);
  if (!all_exist(outputs)) {
    row.state = "missing";
    if (status) {
      row.detail = "outputs removed since it was done";
    } else {
      // Where a run that never got to it says why (submit.sh's tasks log to OUTDIR/logs/).
      row.detail = "not processed: not run yet, or stopped before it finished";
      if (std::error_code ec; fs::is_directory(output_dir / "logs", ec))
        row.detail += " (the jobs' logs: " + (output_dir / "logs").string() + ")";
    }
    return row;
  }
  // As the next run judges it (but for options, which only that run knows): it redoes a video
  // whose content is not what its outputs were made from.
  const auto record = read_record(record_file(output_dir, job));
  if (!record) {
    row.state = "missing";
    row.detail = "no record of what made its outputs (another program's?): the next run redoes it";
    return row;
  }
  if (record->input_fingerprint != input_fingerprint(job.input)) {
    row.state = "missing";
    row.detail = "input changed since its outputs were written";
    return row;
  }
  row.state = "done";
  if (status) {
    row.detail = std::to_string(status->frames) + " frames, " +
                 std::to_string(status->frames_with_face) + " with a face";
  }
  return row;
}

// The kind of job whose status files or records OUTDIR holds: mirror when only mirror ones,
// else aus (a summary of the wrong kind would call every video missing); a folder of both is
// said to be, with the option that summarises the other.
job_kind kind_in(const fs::path& output_dir) {
  bool aus = false, mirror = false;
  std::error_code ec;
  for (const fs::path& folder : {status_dir(output_dir), records_dir(output_dir)}) {
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
      const std::string name = entry.path().filename().string();
      const auto ends_with = [&](const std::string& suffix) {
        return name.size() > suffix.size() &&
               name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
      };
      aus = aus || ends_with(".aus.json");
      mirror = mirror || ends_with(".mirror.json");
    }
  }
  if (mirror && aus)
    std::fprintf(stderr,
                 "facemirror summary: '%s' holds records of both aus and mirror runs: this is "
                 "the aus one (--kind mirror for the other)\n",
                 output_dir.string().c_str());
  return mirror && !aus ? job_kind::mirror : job_kind::aus;
}

// Without a manifest, the batch is what left a status file of this kind.
std::vector<video_job> jobs_from_status_files(const fs::path& output_dir, job_kind kind) {
  std::vector<video_job> jobs;
  std::error_code ec;
  const std::string suffix = std::string(".") + kind_name(kind) + ".json";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(status_dir(output_dir), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    const auto status = read_status(file);
    video_job job;
    job.kind = kind;
    job.input = status && !status->input.empty() ? status->input : file.stem().stem();
    job.output_csv = output_dir / (input_stem(job.input) + ".csv");
    job.output_dir = output_dir;
    jobs.push_back(job);
  }
  return jobs;
}

}  // namespace

int summarize(const summary_options& opt) {
  // Absolute: the table's log paths are read later, from anywhere, and by others.
  const fs::path output_dir = fs::absolute(opt.output_dir).lexically_normal();
  const job_kind kind = opt.kind == "mirror" ? job_kind::mirror
                        : opt.kind == "aus"  ? job_kind::aus
                                             : kind_in(output_dir);
  std::vector<video_job> jobs;
  std::vector<summary_row> rows;
  // Also with a manifest: a mistyped folder would be created (for status/summary.csv) and
  // every video reported missing.
  if (!fs::is_directory(output_dir)) {
    std::fprintf(stderr, "facemirror: output folder '%s' does not exist\n", opt.output_dir.c_str());
    return 2;
  }
  if (!opt.manifest.empty()) {
    std::vector<std::string> inputs;
    try {
      inputs = read_manifest(opt.manifest);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "facemirror: %s\n", e.what());
      return 2;
    }
    input_plan plan = plan_inputs(inputs, output_dir);
    jobs = std::move(plan.jobs);
    for (const auto& rejected : plan.rejected)
      rows.push_back({rejected.input, "failed", rejected.why});
  } else {
    jobs = jobs_from_status_files(output_dir, kind);
  }
  for (auto& job : jobs) {
    job.kind = kind;
    job.output_dir = output_dir;
    rows.push_back(row_for(job, output_dir));
  }
  // Nothing to say "done 0/0" about, nor a status/ folder to leave behind in a plain run's
  // folder (S1's layout): say where the list of videos comes from.
  if (rows.empty()) {
    if (opt.manifest.empty())
      std::fprintf(stderr,
                   "facemirror: no videos to summarise in '%s': it holds no status files, which "
                   "only runs with --manifest or --shard write; give the run's inputs as "
                   "--manifest FILE (one per line)\n",
                   opt.output_dir.c_str());
    else
      std::fprintf(stderr, "facemirror: %s lists no inputs\n", opt.manifest.c_str());
    return 1;
  }

  int done = 0, failed = 0, missing = 0;
  size_t width = 5;
  for (const auto& row : rows)
    width = std::max(width, row.input.size());
  std::printf("%-7s  %-*s  %s\n", "state", static_cast<int>(width), "video", "detail");
  for (const auto& row : rows) {
    done += row.state == "done";
    failed += row.state == "failed";
    missing += row.state == "missing";
    std::printf("%-7s  %-*s  %s\n", row.state.c_str(), static_cast<int>(width), row.input.c_str(),
                row.detail.c_str());
  }
  std::printf("done %d/%zu, failed %d, missing %d\n", done, rows.size(), failed, missing);
  // A sharded mirror batch's tasks wrote their videos' pages but left the folder's index to
  // this one reading of the folder (a run of the whole batch writes its own).
  const bool pages = std::any_of(jobs.begin(), jobs.end(), [&](const video_job& job) {
    std::error_code ec;
    return fs::exists(output_dir / (input_stem(job.input) + "_report.html"), ec);
  });
  int index_failed = 0;
  if (kind == job_kind::mirror && pages) {
    try {
      report_options options;
      options.command = "facemirror summary " + opt.output_dir;
      add_recorded_provenance(output_dir, options);  // the index flags inputs changed since
      report_writer(output_dir, options).write_index();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "FAILED report index: %s\n", e.what());
      index_failed = 1;
    }
  }
  // The batch's report (written by a mirror job, this summary, or `facemirror report OUTDIR`).
  if (std::error_code ec; fs::exists(output_dir / "index.html", ec))
    std::printf("report index: %s\n", (output_dir / "index.html").c_str());

  const fs::path csv = opt.csv.empty() ? status_dir(output_dir) / "summary.csv" : fs::path(opt.csv);
  try {
    std::error_code ec;
    if (csv.has_parent_path())
      fs::create_directories(csv.parent_path(), ec);
    std::string text = "video,state,detail\n";
    for (const auto& row : rows)
      text += csv_field(row.input) + "," + row.state + "," + csv_field(row.detail) + "\n";
    atomic_file out(csv);
    out.write(text);
    out.commit();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "facemirror: %s\n", e.what());
    return 1;
  }
  return failed == 0 && missing == 0 && index_failed == 0 ? 0 : 1;
}

}  // namespace facemirror::cli

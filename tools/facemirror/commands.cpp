#include "commands.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "facemirror/io/image_reader.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/models/model_paths.h"
#include "facemirror/output/atomic_file.h"
#include "facemirror/report/report.h"
#include "facemirror/report/tasks.h"
#include "facemirror/version.h"

#include "inputs.h"
#include "progress.h"
#include "shards.h"
#include "status.h"

namespace facemirror::cli {
namespace {

namespace fs = std::filesystem;

engine_options engine_options_from(const run_options& opt, progress_printer& printer) {
  engine_options options;
  if (!opt.models_dir.empty())
    options.models_dir = fs::path(opt.models_dir);
  options.workers = opt.workers;
  options.segment_frames = opt.segment_frames;
  options.mirror_crf = opt.crf;
  options.compute_aus = !opt.no_aus;
  options.outputs = csv_outputs::parse(opt.outputs);  // the engine drops AU columns for no_aus
  // main() and the OpenFace parser check that each pair is given whole or not at all.
  if (opt.fx)
    options.camera.focal = {*opt.fx, *opt.fy};
  if (opt.cx)
    options.camera.centre = {*opt.cx, *opt.cy};
  options.static_aus = opt.static_aus;
  options.max_faces = opt.max_faces;
  options.frame_stride = opt.frame_stride;
  options.consensus_tracks = opt.consensus;
  options.write_hog = opt.write_hog;
  options.write_aligned_faces = opt.write_aligned_faces;
  options.write_of_details = opt.openface_folder;
  options.skip_faceless_csv = opt.openface_folder;  // FaceLandmarkImg's, FaceLandmarkVidMulti's way
  options.aligned = opt.aligned;
  options.landmarks = opt.landmarks == "dlib" ? landmark_method::dlib : landmark_method::clnf;
  options.tracker.acquire_score = opt.face_threshold;
  options.mode = opt.isolation == "process" ? isolation::process : isolation::thread;
  options.frame_timeout_s = opt.timeout_s;
  options.on_progress = [&printer, &opt](const progress_event& e) {
    printer(e);
    if (opt.on_progress)
      opt.on_progress(e);
  };
  options.should_abort = [&opt] {
    return interrupted.load() || (opt.should_abort && opt.should_abort());
  };
  return options;
}

// Expected work of a video, for splitting a batch into shards: the frame count its header
// announces (header_frame_count: every task plans every video, so reading only headers keeps
// that to milliseconds per video where probe_video would read the whole cohort once per task).
// A video that cannot be opened weighs nothing: it fails at once in whichever shard gets it.
int64_t expected_frames(const fs::path& input) {
  try {
    return header_frame_count(input);
  } catch (const std::exception&) {
    return 0;
  }
}

// Keeps this shard's jobs (in plan order). Every task computes the same split from the same
// plan, so the shards together hold every video exactly once. Inputs the plan rejected are
// reported by shard 0 alone.
void keep_shard(input_plan& plan, const shard_spec& shard, bool quiet) {
  std::vector<int64_t> work;
  int64_t total_frames = 0;
  for (const auto& job : plan.jobs) {
    work.push_back(expected_frames(job.input));
    total_frames += work.back();
  }
  const std::vector<int> shard_of = split_by_work(work, shard.count);
  std::vector<video_job> kept;
  int64_t kept_frames = 0;
  for (size_t i = 0; i < plan.jobs.size(); ++i) {
    if (shard_of[i] == shard.index) {
      kept.push_back(plan.jobs[i]);
      kept_frames += work[i];
    }
  }
  if (!quiet) {
    std::fprintf(stderr, "shard %d/%d: %zu of %zu videos, %lld of %lld frames\n", shard.index,
                 shard.count, kept.size(), plan.jobs.size(), static_cast<long long>(kept_frames),
                 static_cast<long long>(total_frames));
  }
  plan.jobs = std::move(kept);
  if (shard.index != 0)
    plan.rejected.clear();
}

std::string exact(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

// The options that shape a job's output bytes, by their CLI names (workers, isolation and the
// timeout do not: the output is the same for any of them).
std::map<std::string, std::string> output_options(const run_options& opt, job_kind kind) {
  std::map<std::string, std::string> options{
      {"landmarks", opt.landmarks},
      {"face-threshold", exact(opt.face_threshold)},
      {"segment-frames", std::to_string(opt.segment_frames)},
      {"no-aus", opt.no_aus ? "yes" : "no"},
      {"au-static", opt.static_aus ? "yes" : "no"},
      {"consensus", std::to_string(opt.consensus)},
  };
  if (kind == job_kind::mirror) {
    options["crf"] = std::to_string(opt.crf);
    return options;
  }
  options["outputs"] = csv_outputs::parse(opt.outputs).to_string();
  options["max-faces"] = std::to_string(opt.max_faces);
  options["frame-stride"] = std::to_string(opt.frame_stride);
  if (opt.fx || opt.cx) {
    const auto pair = [&](const std::optional<double>& a, const std::optional<double>& b) {
      return a ? exact(*a) + " " + exact(*b) : std::string("guess guess");
    };
    options["camera"] = pair(opt.fx, opt.fy) + " " + pair(opt.cx, opt.cy);
  }
  if (opt.write_aligned_faces) {
    const auto& a = opt.aligned;
    options["aligned"] = std::to_string(a.size) + " " + exact(a.scale) + " " + a.format +
                         (a.masked ? "" : " unmasked") + (a.grey ? " grey" : "") +
                         (a.skip_failed ? " skip-failed" : "");
  }
  return options;
}

// The files a successful job of this run writes: expected_outputs() and the OpenFace files the
// run asks for.
std::vector<fs::path> job_outputs(const video_job& job, const run_options& opt) {
  std::vector<fs::path> outputs = expected_outputs(job, !opt.no_aus);
  if (job.kind == job_kind::aus) {
    const openface_outputs extra = openface_outputs_for(job.output_csv);
    if (opt.write_hog)
      outputs.push_back(extra.hog);
    if (opt.write_aligned_faces)
      outputs.push_back(extra.aligned_folder);
  }
  return outputs;
}

// Whether a job can be skipped: all its outputs are present (each written whole), its last
// attempt did not fail (a failed --force redo leaves older outputs behind), and they were made
// from this input's content with these options (`record`, read from its record file: outputs
// without one are redone). nullopt: keep them; else why they are redone, empty when that needs
// no word (missing outputs, a failed attempt).
std::optional<std::string> redo_reason(const video_job& job, const std::vector<fs::path>& outputs,
                                       const std::optional<output_record>& record,
                                       const fs::path& output_dir, const std::string& fingerprint,
                                       const std::map<std::string, std::string>& options) {
  const auto status = read_status(status_file(output_dir, job.input, job.kind));
  if (status && !status->done)
    return std::string();
  if (!all_exist(outputs))
    return std::string();
  const fs::path record_path = record_file(output_dir, job);
  // Outputs committed, their record not: a run killed in between (its record's partial file
  // is still there). What made them is unknown, so the video is redone.
  if (!record && has_orphaned_partial(record_path))
    return std::string("its run was stopped before recording it");
  // Files of the outputs' names that no facemirror run recorded are not known to be its
  // complete outputs: another program's (OpenFace writes <stem>.csv too, and may have been
  // stopped halfway), an empty file, an older facemirror's.
  if (!record)
    return std::string("no record of what made its outputs");
  if (record->options.empty())
    return "its outputs were made by " +
           (record->command.empty() ? std::string("another program") : record->command);
  if (fingerprint.empty() || record->input_fingerprint != fingerprint)
    return std::string("the input is not the file its outputs were made from");
  std::string changed;
  for (const auto& [name, value] : options) {
    const auto was = record->options.find(name);
    if (was == record->options.end() || was->second != value)
      changed += (changed.empty() ? "--" : ", --") + name;
  }
  for (const auto& [name, value] : record->options) {
    if (options.count(name) == 0)
      changed += (changed.empty() ? "--" : ", --") + name;
  }
  if (!changed.empty())
    return "its outputs were made with other options: " + changed;
  return std::nullopt;
}

// Whether a mirror job's video lacks its report (its page, its asymmetry table, or, when
// `with_index`, the folder's index: a run killed while writing them), or has a page older than
// its AU CSVs (redone with --no-report).
bool report_out_of_date(const video_job& job, const fs::path& output_dir, bool with_index) {
  std::error_code ec;
  const std::string stem = input_stem(job.input);
  const fs::path page = output_dir / (stem + "_report.html");
  const auto written = fs::last_write_time(page, ec);
  if (ec || !fs::exists(output_dir / (stem + "_asymmetry.csv"), ec) ||
      (with_index && (!fs::exists(output_dir / "index.html", ec) ||
                      !fs::exists(output_dir / "asymmetry_summary.csv", ec))))
    return true;
  const mirror_outputs out = mirror_outputs_for(job.input, output_dir, false);
  for (const fs::path& csv : {out.right_csv, out.left_csv}) {
    const auto csv_written = fs::last_write_time(csv, ec);
    if (!ec && csv_written > written)
      return true;
  }
  return false;
}

// A mirror job writing into its input folder finds its own outputs there on the next run
// (<stem>_left_mirrored.mp4, _debug, _source, ...), as does one given an output folder as
// input: mirroring those would snowball, and would overwrite the files it reads. They are left
// out, each named.
void leave_out_own_outputs(input_plan& plan, const fs::path& output_dir, bool quiet) {
  std::map<fs::path, fs::path> written_by;
  for (const auto& job : plan.jobs) {
    for (const bool rotated : {false, true}) {
      const mirror_outputs out = mirror_outputs_for(job.input, output_dir, rotated);
      for (const fs::path& file : {out.right_video, out.left_video, out.debug_video,
                                   out.source_video, out.right_csv, out.left_csv})
        written_by.emplace(same_file_key(file), job.input);
    }
  }
  // An earlier job's outputs without their source beside them (an output folder given as
  // input): <x>_left_mirrored, _right_mirrored, _debug or _source where both mirrored videos
  // of <x> are there.
  const auto earlier_output_of = [](const fs::path& input) -> std::string {
    const std::string stem = input.stem().string();
    const fs::path folder = input.parent_path();
    for (const char* role : {"_left_mirrored", "_right_mirrored", "_debug", "_source"}) {
      const std::string suffix = role;
      if (stem.size() <= suffix.size() ||
          stem.compare(stem.size() - suffix.size(), suffix.size(), suffix) != 0)
        continue;
      const std::string source = stem.substr(0, stem.size() - suffix.size());
      std::error_code ec;
      for (const char* picture : {".mp4", ".png"}) {
        if (fs::exists(folder / (source + "_left_mirrored" + picture), ec) &&
            fs::exists(folder / (source + "_right_mirrored" + picture), ec))
          return source;
      }
    }
    return {};
  };
  std::vector<video_job> kept;
  for (auto& job : plan.jobs) {
    const auto writer = written_by.find(same_file_key(job.input));
    const std::string earlier = earlier_output_of(job.input);
    if (writer == written_by.end() && earlier.empty()) {
      kept.push_back(std::move(job));
    } else if (!quiet) {
      std::fprintf(stderr, "skip   %s (an output of mirroring %s)\n", job.input.string().c_str(),
                   writer != written_by.end() ? writer->second.string().c_str()
                                              : (earlier + "'s video").c_str());
    }
  }
  plan.jobs = std::move(kept);
}

// The files of a redone video's job that this run did not write again (`written`: its outputs
// as planned, before it ran), where the input is another file than the one they were made from
// (its record says so): a mirror job's old AU CSVs and report beside its new mirrored videos
// (with --no-aus or --no-report) or a source copy of the other orientation's name, an aus
// job's old .hog or aligned faces. They would read as the new recording's. (An aus job's CSV
// may have a report of the mirror job's under the same stem: reports are the mirror job's.)
void remove_an_earlier_recordings_outputs(const video_job& job, const run_options& opt,
                                          const fs::path& output_dir,
                                          const std::vector<fs::path>& written,
                                          bool report_written) {
  std::vector<fs::path> earlier;
  if (job.kind == job_kind::mirror) {
    for (const bool rotated : {false, true}) {
      const mirror_outputs out = mirror_outputs_for(job.input, output_dir, rotated);
      earlier.insert(earlier.end(), {out.source_video, out.right_csv, out.left_csv});
    }
    if (!report_written) {
      const std::string stem = input_stem(job.input);
      for (const char* suffix : {"_report.html", "_asymmetry.csv", "_task_asymmetry.csv"})
        earlier.push_back(output_dir / (stem + suffix));
    }
  } else {
    const openface_outputs extra = openface_outputs_for(job.output_csv);
    earlier.insert(earlier.end(), {extra.hog, extra.aligned_folder});
    if (!opt.write_hog && !opt.write_aligned_faces)
      earlier.push_back(extra.details);
  }
  std::error_code ec;
  for (const fs::path& file : earlier) {
    if (std::find(written.begin(), written.end(), file) == written.end())
      fs::remove_all(file, ec);
  }
}

// "" once the record is written, else why not (its older record is then removed).
std::string record_outputs(const video_job& job, const fs::path& output_dir,
                           const output_record& record) {
  try {
    write_record(record_file(output_dir, job), record);
    return "";
  } catch (const std::exception& e) {
    // An older record would describe these outputs as the earlier run's (and a rerun keep them).
    std::error_code ec;
    fs::remove(record_file(output_dir, job), ec);
    return e.what();
  }
}

// "" once the status file is written, else why not.
std::string record_status(const video_job& job, const video_result& result,
                          const fs::path& output_dir, bool with_aus,
                          const std::optional<shard_spec>& shard) {
  video_status status;
  set_origin(status);
  if (shard)
    status.shard = std::to_string(shard->index) + "/" + std::to_string(shard->count);
  status.input = job.input;
  status.kind = job.kind;
  status.done = result.ok;
  status.reason = result.error;
  status.frames = result.frames;
  status.frames_with_face = result.successful_frames;
  if (result.ok)
    status.outputs = expected_outputs(job, with_aus);
  try {
    write_status(status_file(output_dir, job.input, job.kind), status);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

// One line per video on stderr (failures always, the rest unless quiet); 1 if any failed.
int print_report_results(const std::vector<report_result>& results, bool quiet,
                         const char* failed_prefix, const char* ok_prefix) {
  int failures = 0;
  for (const auto& r : results) {
    if (!r.ok) {
      ++failures;
      std::fprintf(stderr, "%s%s: %s\n", failed_prefix, r.stem.c_str(), r.error.c_str());
    } else if (!r.plan_error.empty()) {  // what the user asked for (its tasks) is not there
      ++failures;
      std::fprintf(stderr, "%s%s: %s (its page %s is written without the task section)\n",
                   failed_prefix, r.stem.c_str(), r.plan_error.c_str(), r.html.string().c_str());
    } else if (!quiet) {
      std::fprintf(stderr, "%s%s\n", ok_prefix, r.html.string().c_str());
    }
  }
  return failures == 0 ? 0 : 1;
}

// A video's task plan goes into the output folder for the report (bring_task_plan, tasks.h).
// Not copying it costs the report its task section only, so a failure is a warning.
bool take_task_plan_along(const fs::path& input, const fs::path& output_dir,
                          const std::string& report_stem, bool quiet) {
  try {
    const plan_copy done = bring_task_plan(input, output_dir, report_stem);
    if (done == plan_copy::unchanged)
      return false;
    if (done == plan_copy::removed) {
      if (!quiet)
        std::fprintf(stderr, "tasks  %s removed: so is its copy %s\n",
                     task_plan_beside_video(input).string().c_str(),
                     (output_dir / (report_stem + "_tasks.csv")).string().c_str());
      return true;
    }
    if (!quiet)
      std::fprintf(stderr, "tasks  %s -> %s\n", task_plan_beside_video(input).string().c_str(),
                   (output_dir / (report_stem + "_tasks.csv")).string().c_str());
    // Said now, naming the file the user edits, not only after the video's whole analysis.
    try {
      (void)read_task_plan(task_plan_beside_video(input));
    } catch (const std::exception& e) {
      std::fprintf(stderr,
                   "WARNING %s: the report will have no task section (correct the plan, then "
                   "run facemirror report %s)\n",
                   e.what(), output_dir.string().c_str());
    }
    return true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warning: the task plan is not copied: %s\n", e.what());
    return false;
  }
}

report_options report_options_for(const run_options& opt, const fs::path& output_dir) {
  report_options options;
  options.command = opt.command_line;
  if (!opt.models_dir.empty())
    options.models_dir = fs::path(opt.models_dir);
  // A video done by this run is recorded before its page is written; one done earlier keeps
  // the record of the run that did it.
  options.recorded = [output_dir](const std::string& stem) {
    return recorded_analysis(output_dir, stem);
  };
  return options;
}

// The report of the videos this mirror job did or found done (other videos in the folder keep
// their reports; index.html lists them all). `written`: the pages `writer` wrote as each video
// finished (engine_options::on_video_done); the rest are written now, then the index unless
// this run is one shard of a batch: every task would read the whole folder again (hundreds of
// GB for a cohort) and overwrite the others' index; the batch's summary writes it once.
int report_mirror_job(const run_options& opt, const report_writer& writer,
                      const std::vector<std::string>& stems,
                      const std::vector<report_result>& written, bool with_index) {
  std::vector<report_result> results;
  for (const auto& stem : stems) {
    const auto done = std::find_if(written.begin(), written.end(),
                                   [&](const report_result& r) { return r.stem == stem && r.ok; });
    results.push_back(done != written.end() ? *done : writer.write_video(stem));
  }
  try {
    if (with_index)
      writer.write_index();
    else if (!opt.quiet)
      std::fprintf(stderr, "index  left to facemirror summary (this run is one shard)\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FAILED report: %s\n", e.what());
    return 1;
  }
  std::sort(results.begin(), results.end(),
            [](const report_result& a, const report_result& b) { return a.stem < b.stem; });
  return print_report_results(results, opt.quiet, "FAILED report ", "report ");
}

// --list-inputs: what the run would process, and whether it could start (the models load).
int list_inputs(const input_plan& plan, const run_options& opt) {
  bool usable = plan.rejected.empty();
  for (const auto& rejected : plan.rejected)
    std::fprintf(stderr, "facemirror: refused %s\n", rejected.line().c_str());
  try {
    const model_paths paths = resolve_model_paths(
        opt.models_dir.empty() ? std::nullopt : std::optional<fs::path>(opt.models_dir));
    verify_model_checksums(paths);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "facemirror: %s\n", e.what());
    usable = false;
  }
  // A run would still start, and fail each such input alone; before a cluster batch, said now.
  for (const auto& job : plan.jobs) {
    std::error_code ec;
    if (!fs::exists(job.input, ec)) {
      std::fprintf(stderr, "facemirror: refused '%s': no such file\n", job.input.c_str());
      usable = false;
    }
  }
  if (!usable)  // no list that a script not checking the status would take for the batch's
    return 1;
  for (const auto& job : plan.jobs)
    std::printf("%s\n", fs::absolute(job.input).lexically_normal().c_str());
  return 0;
}

}  // namespace

// CSV frame numbers (from 1) of ascending 0-based indices, runs as ranges: "20, 31-35".
std::string frame_numbers(const std::vector<int64_t>& indices) {
  constexpr size_t most_runs = 8;
  std::string out;
  size_t runs = 0;
  for (size_t i = 0; i < indices.size();) {
    size_t last = i;
    while (last + 1 < indices.size() && indices[last + 1] == indices[last] + 1)
      ++last;
    if (runs++ == most_runs) {
      out += ", ...";
      break;
    }
    out += (out.empty() ? "" : ", ") + std::to_string(indices[i] + 1);
    if (last > i)
      out += "-" + std::to_string(indices[last] + 1);
    i = last + 1;
  }
  return out;
}

// What damaged data in the file did to its rows, or "" for an undamaged file.
std::string damage_warning(const video_result& r) {
  std::string parts;
  const auto part = [&](const std::vector<int64_t>& frames, const char* what) {
    if (frames.empty())
      return;
    parts += (parts.empty() ? "" : "; ") + std::to_string(frames.size()) +
             (frames.size() == 1 ? " frame" : " frames") + " (" + frame_numbers(frames) + ") " +
             what;
  };
  part(r.concealed_frames,
       "decoded with the damage patched over by the decoder, as OpenFace reads them: landmarks "
       "and AUs there may be off");
  part(r.missing_frames, "could not be decoded: black frames, success 0");
  return parts.empty() ? "" : "the file holds damaged data: " + parts;
}

std::string command_line(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i > 0)
      line += ' ';
    const bool plain = !arg.empty() && arg.find_first_of(" \t'\"\\$") == std::string::npos;
    line += plain ? arg : "'" + arg + "'";
  }
  return line;
}

int run_report(const report_command& command) {
  report_options options;
  options.command = command.command_line;
  if (!command.models_dir.empty())
    options.models_dir = fs::path(command.models_dir);
  add_recorded_provenance(fs::path(command.folder), options);
  options.stills = command.stills;
  options.min_face_share = command.min_face_share;
  options.max_turned_share = command.max_turned_share;
  std::vector<report_result> results;
  try {
    results = write_report(fs::path(command.folder), options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "facemirror: %s\n", e.what());
    return 1;
  }
  const int status = print_report_results(results, command.quiet, "FAILED ", "ok     ");
  if (!command.quiet)
    std::fprintf(stderr, "index  %s\n", (fs::path(command.folder) / "index.html").string().c_str());
  return status;
}

int run(const run_options& opt, job_kind kind) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> inputs = opt.inputs;
  std::optional<shard_spec> shard;
  try {
    if (!opt.manifest.empty()) {
      const auto listed = read_manifest(opt.manifest);
      inputs.insert(inputs.end(), listed.begin(), listed.end());
    }
    if (!opt.shard.empty())
      shard = parse_shard(opt.shard);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "facemirror: %s\n", e.what());
    return 2;
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "facemirror: no inputs: give INPUT... or --manifest FILE\n");
    return 2;
  }
  try {  // options that do not go together: a usage error, before any folder is made
    progress_printer silent(progress_style::none);
    check_engine_options(engine_options_from(opt, silent));
  } catch (const error& e) {
    std::fprintf(stderr, "facemirror: %s\n", e.what());
    return 2;
  }
  const fs::path output_dir(opt.output_dir);
  std::error_code ec;
  if (!opt.list_inputs)
    fs::create_directories(output_dir, ec);
  if (!opt.list_inputs && !fs::is_directory(output_dir)) {
    const std::string why = opt.output_dir.empty()   ? "an empty name"
                            : fs::exists(output_dir) ? "a file of that name is there"
                            : ec                     ? ec.message()
                                                     : "it is not a folder";
    std::fprintf(stderr, "facemirror: cannot create output folder '%s': %s\n",
                 opt.output_dir.c_str(), why.c_str());
    return 1;
  }
  input_plan plan = plan_inputs(inputs, output_dir, opt.frame_folders, opt.output_names);
  for (const auto& note : plan.notes)  // even with -q: a patient left out goes unnoticed
    std::fprintf(stderr, "NOTE %s\n", note.c_str());
  if (kind == job_kind::mirror && !plan.jobs.empty()) {
    leave_out_own_outputs(plan, output_dir, opt.quiet);
    if (plan.jobs.empty() && plan.rejected.empty()) {
      std::fprintf(stderr,
                   "facemirror: no video to mirror: every input is a mirror job's "
                   "output\n");
      return 2;
    }
  }
  if (shard)
    keep_shard(plan, *shard, opt.quiet || opt.list_inputs);
  if (opt.list_inputs)
    return list_inputs(plan, opt);
  for (const auto& job : plan.jobs)  // an -of name's folder part (the .hog etc. follow the CSV)
    fs::create_directories(job.output_csv.parent_path(), ec);
  const bool with_aus = !opt.no_aus;
  std::vector<video_job> jobs;
  std::vector<std::string> unreported;  // skipped mirror jobs that have no report yet
  const bool writes_report = kind == job_kind::mirror && !opt.no_report && !opt.no_aus;
  // The plan goes with the CSVs also without a report now: `facemirror report` reads it later.
  // So does an aus job's: beside its CSV (one face), or for a mirrored pair's videos (S1's users
  // have folders of them) as the pair's, whose two CSVs the report compares.
  const auto take_task_plan = [&](const video_job& job) {
    if (opt.openface_folder)
      return false;
    const std::string stem = input_stem(job.input);
    if (kind == job_kind::mirror)
      return !opt.no_aus && take_task_plan_along(job.input, output_dir, stem, opt.quiet);
    const std::string report_stem =
        task_plan_stem(stem) != stem ? task_plan_stem(stem) : job.output_csv.stem().string();
    return take_task_plan_along(job.input, output_dir, report_stem, opt.quiet);
  };
  int skipped = 0;
  const std::map<std::string, std::string> options_now = output_options(opt, kind);
  const std::string models_used = recorded_models_dir(opt.models_dir);
  const std::string working_dir = fs::current_path(ec).string();
  std::vector<output_record> records;  // what each job of `jobs` is made from, read before it runs
  std::vector<char> input_replaced;    // per job: its outputs' record names another file
  std::vector<std::vector<fs::path>> planned_outputs;  // per job: job_outputs() before it ran
  for (auto& job : plan.jobs) {
    if (kind == job_kind::mirror) {
      job.kind = job_kind::mirror;
      job.output_dir = output_dir;
    }
    const std::string fingerprint = input_fingerprint(job.input);
    // What this run would write (job_outputs probes a mirror job's video: once, now; at the
    // batch's end the file may have moved on).
    std::vector<fs::path> outputs = job_outputs(job, opt);
    const std::optional<output_record> earlier = read_record(record_file(output_dir, job));
    const std::optional<std::string> redo =
        opt.force ? std::optional<std::string>("--force")
                  : redo_reason(job, outputs, earlier, output_dir, fingerprint, options_now);
    if (!redo) {
      ++skipped;
      // A run killed while it wrote one of them or the page again left its partial file; no
      // writer of them comes to remove it while the video is skipped.
      const std::string stem = input_stem(job.input);
      for (const fs::path& output : outputs)
        remove_orphaned_partials(output);
      remove_orphaned_partials(output_dir / (stem + "_report.html"));
      // A plan put beside a finished video since brings its report up to date, as do AU CSVs
      // rewritten since its page (a redo with --no-report).
      const bool new_plan = take_task_plan(job);
      if (kind == job_kind::mirror &&
          (new_plan || report_out_of_date(job, output_dir, !shard.has_value())))
        unreported.push_back(stem);
      if (opt.on_outcome)
        opt.on_outcome("skipped", job.input.string(), output_dir.string());
      if (!opt.quiet) {
        std::fprintf(stderr, "skip   %s (outputs present; --force redoes it)\n",
                     job.input.string().c_str());
      }
      continue;
    }
    if (!opt.quiet && !opt.force && !redo->empty())
      std::fprintf(stderr, "redo   %s (%s)\n", job.input.string().c_str(), redo->c_str());
    // The attempt starting now is the video's status: an older one no longer describes it. Its
    // record stays until the attempt writes its own: an attempt that fails or is stopped leaves
    // the older outputs with what they were made from, so the next run redoes them again (it
    // once found them without a record, judged them by date and skipped them). `openface`
    // writes no record: an earlier run's would describe the CSV it overwrites (a report would
    // state that run's command and date, a resume keep the CSV).
    fs::remove(status_file(output_dir, job.input, job.kind), ec);
    input_replaced.push_back(earlier && !earlier->input_fingerprint.empty() &&
                             earlier->input_fingerprint != fingerprint);
    if (opt.openface_folder)
      fs::remove(record_file(output_dir, job), ec);
    (void)take_task_plan(job);
    jobs.push_back(job);
    planned_outputs.push_back(std::move(outputs));
    output_record record;  // `finished` is stamped when the outputs are
    record.input_fingerprint = fingerprint;
    record.options = options_now;
    record.command = opt.command_line;
    record.models_dir = models_used;
    record.input = fs::absolute(job.input, ec).lexically_normal().string();
    record.working_dir = working_dir;
    records.push_back(std::move(record));
  }

  progress_printer printer(opt.quiet ? progress_style::none : parse_progress_style(opt.progress));
  std::vector<video_result> results;
  // Each finished video's report is written on the worker that finished it while the others
  // go on, rather than all of them after the batch.
  const report_writer reports(output_dir, report_options_for(opt, output_dir));
  std::mutex written_mutex;
  std::vector<report_result> written;
  std::set<size_t> changed_while_read;  // jobs whose input changed during the run
  std::set<fs::path> announced;         // inputs whose "done" went out as they finished
  // Jobs whose record was written (or failed: why) as they finished. Written once: another run
  // may have written the video again since, with a record of its own.
  std::vector<char> recorded(jobs.size(), 0);
  std::map<size_t, std::string> unrecorded;
  // A resumed shard whose videos are all done has nothing to load the models for.
  if (!jobs.empty()) {
    engine_options options = engine_options_from(opt, printer);
    std::map<fs::path, size_t> job_of_input;
    for (size_t i = 0; i < jobs.size(); ++i)
      job_of_input[jobs[i].input] = i;
    // A video's record is written as soon as its outputs are: a run killed later keeps it.
    options.on_video_done = [&, job_of_input](const video_result& done) {
      const auto job = job_of_input.find(done.input);
      // A recording still being written (or replaced) is not the file that was analysed: its
      // outputs describe part of it, or another file. Failed below, outputs removed.
      if (job != job_of_input.end() &&
          input_fingerprint(done.input) != records[job->second].input_fingerprint) {
        const std::lock_guard<std::mutex> lock(written_mutex);
        changed_while_read.insert(job->second);
        return;
      }
      if (job != job_of_input.end() && !opt.openface_folder) {
        records[job->second].finished = utc_now();
        const std::string why = record_outputs(jobs[job->second], output_dir, records[job->second]);
        const std::lock_guard<std::mutex> lock(written_mutex);
        recorded[job->second] = 1;
        if (!why.empty()) {
          unrecorded[job->second] = why;
          return;  // failed at the end, not announced done first
        }
      }
      std::optional<report_result> page;
      if (writes_report)
        page = reports.write_video(input_stem(done.input));
      const std::lock_guard<std::mutex> lock(written_mutex);
      if (page)
        written.push_back(std::move(*page));
      // Said as it finishes, not at the batch's end: the web app links its report then.
      if (opt.on_outcome) {
        opt.on_outcome("done", done.input.string(), output_dir.string());
        announced.insert(done.input);
      }
    };
    engine runner(std::move(options));
    if (!opt.quiet) {
      std::fprintf(stderr, "facemirror %s: models loaded in %.2f s, %d worker%s\n", version(),
                   runner.model_load_seconds(), runner.worker_count(),
                   runner.worker_count() == 1 ? "" : "s");
    }
    results = runner.run(jobs);
  }
  printer.finish();
  for (const size_t i : changed_while_read) {
    results[i].ok = false;
    results[i].error = "'" + jobs[i].input.string() +
                       "': changed while it was read (a recording still being written?); its "
                       "outputs were removed: run again once it is complete";
    std::vector<fs::path> outputs = job_outputs(jobs[i], opt);
    const openface_outputs extra = openface_outputs_for(jobs[i].output_csv);
    if (jobs[i].kind == job_kind::aus) {
      outputs.push_back(extra.details);
    } else {
      // The changed file may probe otherwise now: both names its source copy can have.
      for (const bool rotated : {false, true})
        outputs.push_back(mirror_outputs_for(jobs[i].input, output_dir, rotated).source_video);
      outputs.push_back(mirror_outputs_for(jobs[i].input, output_dir, false).head_pose_csv);
    }
    for (const auto& file : outputs)
      fs::remove_all(file, ec);
  }
  // Status files are for batches split over runs (`facemirror summary` reads them); a plain
  // run leaves OUTDIR as it was (S1's folder layout). The videos an interrupted run stopped
  // leave nothing behind either: they are simply missing, and a rerun does them; one that
  // failed for its own reason before the stop is recorded failed, with that reason.
  const bool keep_status = !opt.manifest.empty() || shard.has_value();
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok && !opt.openface_folder && !recorded[i]) {  // not every job says it is done
      if (std::string why = record_outputs(jobs[i], output_dir, records[i]); !why.empty())
        unrecorded[i] = std::move(why);
    }
    // Outputs without their record are redone by every rerun: the run has not done its work.
    if (const auto why = unrecorded.find(i); why != unrecorded.end() && results[i].ok) {
      results[i].ok = false;
      results[i].error = "'" + jobs[i].input.string() +
                         "': its outputs are written, but what made them is not recorded (" +
                         why->second + "): a rerun redoes it";
    }
  }
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok && input_replaced[i] && !opt.openface_folder) {
      const std::string stem = input_stem(jobs[i].input);
      const bool report_written =
          std::any_of(written.begin(), written.end(),
                      [&](const report_result& page) { return page.ok && page.stem == stem; });
      remove_an_earlier_recordings_outputs(jobs[i], opt, output_dir, planned_outputs[i],
                                           report_written);
    }
  }
  int failures = static_cast<int>(plan.rejected.size());
  for (size_t i = 0; i < results.size(); ++i) {
    if (!keep_status || results[i].interrupted)
      continue;
    // `facemirror summary` reads these: without one it counts the video missing.
    if (const std::string why = record_status(jobs[i], results[i], output_dir, with_aus, shard);
        !why.empty()) {
      std::fprintf(stderr,
                   "FAILED %s: its status is not recorded (%s): `facemirror summary` "
                   "counts it missing\n",
                   jobs[i].input.string().c_str(), why.c_str());
      failures += results[i].ok ? 1 : 0;  // a failed video is counted below
    }
  }

  int stopped = 0;
  int64_t frames = 0;
  for (const auto& rejected : plan.rejected) {
    std::fprintf(stderr, "FAILED %s\n", rejected.line().c_str());
    if (opt.on_outcome)
      opt.on_outcome("failed", rejected.input, rejected.line());
  }
  for (const auto& r : results) {
    // A video the stop cut short is not a failure of its own: the next run does it.
    if (opt.on_outcome && !(r.ok && announced.count(r.input) > 0))
      opt.on_outcome(r.ok            ? "done"
                     : r.interrupted ? "cancelled"
                                     : "failed",
                     r.input.string(),
                     r.ok            ? output_dir.string()
                     : r.interrupted ? "stopped before it finished; it left no file"
                                     : r.error);
    if (!r.ok) {
      // Stopped is not failed: nothing is wrong with the video, the next run does it.
      ++(r.interrupted ? stopped : failures);
      if (r.interrupted)
        std::fprintf(stderr, "stopped %s (before it finished; it left no file)\n",
                     r.input.string().c_str());
      else
        std::fprintf(stderr, "FAILED %s\n", r.error.c_str());
      continue;
    }
    frames += r.frames;
    if (!opt.quiet) {
      // FaceLandmarkImg and FaceLandmarkVidMulti write no CSV without a face (openface-img and
      // openface-multi neither).
      const std::string where = kind != job_kind::aus      ? output_dir.string() + "/"
                                : fs::exists(r.output_csv) ? r.output_csv.string()
                                                           : "no CSV";
      if (is_image_file(r.input) && kind == job_kind::aus)  // a row per face, not per frame
        std::fprintf(stderr, "ok     %s -> %s (a photograph, %lld face%s, %.1f s)\n",
                     r.input.string().c_str(), where.c_str(),
                     static_cast<long long>(r.successful_frames),
                     r.successful_frames == 1 ? "" : "s", r.seconds);
      else
        std::fprintf(stderr, "ok     %s -> %s (%lld frame%s, %lld with a face, %.1f s)\n",
                     r.input.string().c_str(), where.c_str(), static_cast<long long>(r.frames),
                     r.frames == 1 ? "" : "s", static_cast<long long>(r.successful_frames),
                     r.seconds);
    }
    // A phone's photograph stored sideways, shown upright by its EXIF tag: analysed as stored,
    // as OpenFace does, which a user looking at it upright would not expect.
    if (is_image_file(r.input)) {
      if (const int orientation = exif_orientation(r.input); orientation != 1)
        std::fprintf(stderr,
                     "WARNING %s: its EXIF tag has it shown %s; it was analysed as stored, as "
                     "OpenFace 2.2 reads it (a face on its side is found less well, its pose "
                     "turned): to analyse it as shown, turn its pixels first (exiftran -ai)\n",
                     r.input.string().c_str(), describe_exif_orientation(orientation));
    }
    // Written whole and valid, but of no use to a study: said even with -q, as failures are.
    if (r.frames > 0 && r.successful_frames == 0) {
      const char* consequence =
          kind == job_kind::mirror ? "in any frame (the mirrored videos are its frames copied "
                                     "unchanged, no AUs)"
          : !fs::exists(r.output_csv)
              ? (is_image_file(r.input)
                     ? "(no CSV, as OpenFace's FaceLandmarkImg writes none)"
                     : "in any frame (no CSV, as OpenFace's FaceLandmarkVidMulti writes none)")
          : is_image_file(r.input) ? "(its CSV has the header only: one row per face)"
          : opt.max_faces > 1      ? "in any frame (its CSV has the header only: one row per "
                                     "tracked face and frame)"
                                   : "in any frame (every row has success 0)";
      std::fprintf(stderr, "WARNING %s: no face found %s\n", r.input.string().c_str(), consequence);
    }
    if (r.video_streams > 1)
      std::fprintf(stderr,
                   "WARNING %s: the file holds %d video streams: the first was analysed (%lld "
                   "frames), as OpenFace 2.2 reads the file, and the other%s not (to analyse "
                   "another, extract it first: ffmpeg -i FILE -map 0:v:N -c copy OUT)\n",
                   r.input.string().c_str(), r.video_streams, static_cast<long long>(r.frames),
                   r.video_streams > 2 ? "s" : "");
    if (const std::string damage = damage_warning(r); !damage.empty())
      std::fprintf(stderr, "WARNING %s: %s\n", r.input.string().c_str(), damage.c_str());
    // Its outputs are whole and the same as without the failure; a crash is still news.
    for (const std::string& failure : r.retried)
      std::fprintf(stderr, "NOTE %s; done on the retry\n", failure.c_str());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!opt.quiet) {
    const std::string stopped_part = stopped > 0 ? ", stopped " + std::to_string(stopped) : "";
    std::fprintf(stderr, "done %zu, skipped %d, failed %d%s in %.1f s (%.1f frames/s)\n",
                 results.size() - static_cast<size_t>(failures - plan.rejected.size()) -
                     static_cast<size_t>(stopped),
                 skipped, failures, stopped_part.c_str(), seconds,
                 seconds > 0 ? static_cast<double>(frames) / seconds : 0.0);
  }
  if (interrupted) {
    // The videos finished before the stop have their pages: the folder's index lists them, as
    // the whole run's would (one shard's is still the summary's to write).
    if (writes_report && !shard.has_value() && !written.empty()) {
      try {
        reports.write_index();
        if (!opt.quiet)
          std::fprintf(stderr, "index  %s (the videos finished before the stop)\n",
                       (output_dir / "index.html").string().c_str());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "FAILED report: %s\n", e.what());
      }
    }
    return 130;
  }
  // The report covers the videos done now and skipped ones without a report; a run that
  // skipped everything rewrites nothing.
  std::vector<std::string> stems = unreported;
  for (const auto& r : results) {
    if (r.ok)
      stems.push_back(input_stem(r.input));
  }
  if (writes_report && !stems.empty()) {
    if (report_mirror_job(opt, reports, stems, written, !shard.has_value()) != 0)
      return 1;
  }
  return failures == 0 && stopped == 0 ? 0 : 1;  // a batch the app cancelled is not complete
}

}  // namespace facemirror::cli

#pragma once
// Per-video status files: what the last attempt at a video ended in, so that a batch split over
// many runs (a Slurm array's tasks, a resubmission) can be summarised and resumed.
//
// Runs given --manifest or --shard write them (a plain run leaves OUTDIR as S1 lays it out but
// for the hidden records below). OUTDIR/status/<stem>.<kind>.json holds one attempt's outcome:
// the input, "done" with the output files and frame counts, or "failed" with the reason (one
// line naming the file). It is written whole or not at all (atomic_file) after the attempt ends,
// and removed when a new attempt starts, so: no status file + all outputs present and made from
// this input with these options (output_record) = done by an earlier run (or one killed before
// it could write statuses; outputs are atomic, so present means complete); "failed" = the last
// attempt failed, whatever older outputs lie around.
//
// Every run also writes, per video done, the output_record a resume compares (below); it stays
// until the next attempt writes its own (an attempt that fails leaves it, so the older outputs
// are redone again). Single-threaded but for write_record and recorded_analysis, which calls
// for different videos may make at once (the report's pages are written on several threads).

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "facemirror/pipeline/engine.h"
#include "facemirror/pipeline/input_fingerprint.h"
#include "facemirror/report/report.h"

namespace facemirror::cli {

struct video_status {
  std::filesystem::path input;
  job_kind kind = job_kind::aus;
  bool done = false;
  std::string reason;                          // failed: why (one line)
  std::vector<std::filesystem::path> outputs;  // done: every file the attempt wrote
  int64_t frames = 0;
  int64_t frames_with_face = 0;
  // Where the attempt ran, so a failure in a batch spread over machines can be traced to its
  // log: the shard ("3/10"; empty without --shard), the machine, and the Slurm task
  // ("<array job>_<task>" as submit.sh names its logs, else the job id; empty outside Slurm).
  std::string shard;
  std::string host;
  std::string slurm_task;
};

/// The machine and Slurm task of this process, for video_status (from gethostname and
/// $SLURM_ARRAY_JOB_ID/$SLURM_ARRAY_TASK_ID, else $SLURM_JOB_ID).
void set_origin(video_status& status);

[[nodiscard]] const char* kind_name(job_kind kind);

/// OUTDIR/status: status files and the summary CSV (a folder, so no video's stem can clash).
[[nodiscard]] std::filesystem::path status_dir(const std::filesystem::path& output_dir);

/// OUTDIR/status/<input stem>.<kind>.json
[[nodiscard]] std::filesystem::path status_file(const std::filesystem::path& output_dir,
                                                const std::filesystem::path& input, job_kind kind);

/// Writes atomically (creating OUTDIR/status). Throws facemirror::error naming the file.
void write_status(const std::filesystem::path& file, const video_status& status);

/// nullopt when there is no status file. A file that cannot be parsed reads as a failed attempt
/// whose reason says so (it cannot be half-written, so it was damaged by something else).
[[nodiscard]] std::optional<video_status> read_status(const std::filesystem::path& file);

/// The files a job writes when it succeeds: OUTDIR/<stem>.csv for aus; the mirror job's videos,
/// head pose table and (with AUs) CSVs, whose source copy's name depends on the input's rotation
/// (probed; a video that cannot be probed gets the unrotated names).
[[nodiscard]] std::vector<std::filesystem::path> expected_outputs(const video_job& job,
                                                                  bool with_aus);

/// True when every file in `outputs` exists (each was renamed into place whole).
[[nodiscard]] bool all_exist(const std::vector<std::filesystem::path>& outputs);

/// What a job's outputs were made from, written when the job succeeds (every run, also a plain
/// one) to OUTDIR/.facemirror/<stem>.<kind>.json: the input's content and the options that shape
/// the output bytes. A rerun keeps the outputs only when both are the same, so a video swapped
/// for another, replaced by an older copy or run with other options is redone; dates alone
/// cannot tell (`mv`, `cp -p`, rsync and unzip keep them).
///
/// Compared: input_fingerprint and options (the CLI's options that shape the outputs; empty in a
/// record of the Python module's, whose outputs the CLI redoes, as it cannot tell its options
/// from the module's arguments). For the report's provenance only: command, working_dir, input
/// (absolute), models_dir (absolute) and finished (utc_now(); write_record stamps a record
/// without one). The report reads it as its analysis_record (input_now is never stored).
struct output_record : analysis_record {
  std::string models_dir;
};

/// Now, UTC, ISO 8601 to the second ("2026-12-07T16:40:12Z").
[[nodiscard]] std::string utc_now();

/// output_record::models_dir for a run given `models_dir` (empty: the default folder): absolute,
/// normalised, so that the records of one folder used two ways compare equal.
[[nodiscard]] std::string recorded_models_dir(const std::filesystem::path& models_dir);

/// OUTDIR/.facemirror: the output records (hidden, so the folder keeps S1's layout).
[[nodiscard]] std::filesystem::path records_dir(const std::filesystem::path& output_dir);

/// OUTDIR/.facemirror/<stem>.<kind>.json, <stem> being the aus CSV's or the mirror input's.
[[nodiscard]] std::filesystem::path record_file(const std::filesystem::path& output_dir,
                                                const video_job& job);

/// Writes atomically (creating OUTDIR/.facemirror); `finished` empty is written as utc_now().
/// Throws facemirror::error naming the file.
void write_record(const std::filesystem::path& file, const output_record& record);

/// nullopt when the file is missing or unreadable (its outputs are then redone).
[[nodiscard]] std::optional<output_record> read_record(const std::filesystem::path& file);

/// A record (`stem`: a mirror input's or an aus CSV's) as the report's provenance.
[[nodiscard]] std::optional<analysis_record> recorded_analysis(const std::filesystem::path& folder,
                                                               const std::string& stem);

/// From the records of `folder` (the CLI's runs and the Python module's): how each video's AU
/// files were made (report_options::recorded), and the models folder when they all name the same
/// one and `options` names none.
void add_recorded_provenance(const std::filesystem::path& folder, report_options& options);

}  // namespace facemirror::cli

#include "status.h"

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "facemirror/error.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/models/model_paths.h"
#include "facemirror/output/atomic_file.h"

#include "json_text.h"
#include <unistd.h>

namespace facemirror::cli {

namespace fs = std::filesystem;

const char* kind_name(job_kind kind) {
  return kind == job_kind::aus ? "aus" : "mirror";
}

fs::path status_dir(const fs::path& output_dir) {
  return output_dir / "status";
}

fs::path status_file(const fs::path& output_dir, const fs::path& input, job_kind kind) {
  return status_dir(output_dir) / (input_stem(input) + "." + kind_name(kind) + ".json");
}

namespace {

// Written whole, its folder made first: a folder that cannot be made says its own reason (a
// read-only OUTDIR: permission denied), not the missing folder's that writing would give.
void write_json(const fs::path& file, const nlohmann::ordered_json& json) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec)
    throw error(error_code::io,
                "cannot create folder '" + file.parent_path().string() + "': " + ec.message());
  atomic_file out(file);
  out.write(json_text(json, 2) + "\n");
  out.commit();
}

}  // namespace

void set_origin(video_status& status) {
  char name[256] = {};
  status.host = ::gethostname(name, sizeof(name) - 1) == 0 ? name : "";
  const char* array_job = std::getenv("SLURM_ARRAY_JOB_ID");
  const char* array_task = std::getenv("SLURM_ARRAY_TASK_ID");
  const char* job = std::getenv("SLURM_JOB_ID");
  status.slurm_task = array_job && *array_job && array_task && *array_task
                          ? std::string(array_job) + "_" + array_task
                      : job && *job ? job
                                    : "";
}

void write_status(const fs::path& file, const video_status& status) {
  nlohmann::ordered_json json;
  json["input"] = status.input.string();
  json["kind"] = kind_name(status.kind);
  json["state"] = status.done ? "done" : "failed";
  if (status.done) {
    json["frames"] = status.frames;
    json["frames_with_face"] = status.frames_with_face;
    json["outputs"] = nlohmann::json::array();
    for (const auto& output : status.outputs)
      json["outputs"].push_back(output.string());
  } else {
    json["reason"] = status.reason;
  }
  if (!status.shard.empty())
    json["shard"] = status.shard;
  if (!status.host.empty())
    json["host"] = status.host;
  if (!status.slurm_task.empty())
    json["slurm_task"] = status.slurm_task;
  write_json(file, json);
}

std::optional<video_status> read_status(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec))
    return std::nullopt;
  video_status status;
  try {
    std::ifstream in(file);
    const auto json = nlohmann::json::parse(in);
    status.input = json.at("input").get<std::string>();
    status.kind = json.at("kind").get<std::string>() == "mirror" ? job_kind::mirror : job_kind::aus;
    status.done = json.at("state").get<std::string>() == "done";
    if (status.done) {
      status.frames = json.value("frames", int64_t{0});
      status.frames_with_face = json.value("frames_with_face", int64_t{0});
      for (const auto& output : json.at("outputs"))
        status.outputs.emplace_back(output.get<std::string>());
    } else {
      status.reason = json.value("reason", std::string("(no reason recorded)"));
    }
    status.shard = json.value("shard", std::string());
    status.host = json.value("host", std::string());
    status.slurm_task = json.value("slurm_task", std::string());
  } catch (const std::exception& e) {
    status = video_status{};
    status.reason = "status file '" + file.string() + "' is unreadable: " + e.what();
  }
  return status;
}

std::vector<fs::path> expected_outputs(const video_job& job, bool with_aus) {
  if (job.kind == job_kind::aus)
    return {job.output_csv};
  bool rotated = false;
  try {
    rotated = probe_video(job.input).reoriented();
  } catch (const std::exception&) {
    // The engine reports the bad input; its outputs cannot exist.
  }
  const mirror_outputs out = mirror_outputs_for(job.input, job.output_dir, rotated);
  std::vector<fs::path> files = {out.right_video, out.left_video, out.debug_video, out.source_video,
                                 out.head_pose_csv};
  if (with_aus)
    files.insert(files.end(), {out.right_csv, out.left_csv});
  return files;
}

std::string recorded_models_dir(const fs::path& models_dir) {
  std::error_code ec;
  return fs::absolute(models_dir.empty() ? default_models_dir() : models_dir, ec)
      .lexically_normal()
      .string();
}

fs::path records_dir(const fs::path& output_dir) {
  return output_dir / ".facemirror";
}

fs::path record_file(const fs::path& output_dir, const video_job& job) {
  const std::string stem =
      job.kind == job_kind::aus ? job.output_csv.stem().string() : input_stem(job.input);
  return records_dir(output_dir) / (stem + "." + kind_name(job.kind) + ".json");
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

void write_record(const fs::path& file, const output_record& record) {
  nlohmann::ordered_json json;
  json["input_fingerprint"] = record.input_fingerprint;
  json["options"] = record.options;
  if (!record.command.empty())
    json["command"] = record.command;
  if (!record.models_dir.empty())
    json["models"] = record.models_dir;
  if (!record.input.empty())
    json["input"] = record.input;
  if (!record.working_dir.empty())
    json["working_dir"] = record.working_dir;
  json["finished"] = record.finished.empty() ? utc_now() : record.finished;
  write_json(file, json);
}

std::optional<output_record> read_record(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec))
    return std::nullopt;
  try {
    std::ifstream in(file);
    const auto json = nlohmann::json::parse(in);
    output_record record;
    record.input_fingerprint = json.at("input_fingerprint").get<std::string>();
    record.options = json.at("options").get<std::map<std::string, std::string>>();
    record.command = json.value("command", std::string());
    record.models_dir = json.value("models", std::string());
    record.input = json.value("input", std::string());
    record.working_dir = json.value("working_dir", std::string());
    record.finished = json.value("finished", std::string());
    return record;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool all_exist(const std::vector<fs::path>& outputs) {
  for (const auto& file : outputs) {
    std::error_code ec;
    if (!fs::exists(file, ec))
      return false;
  }
  return true;
}

std::optional<analysis_record> recorded_analysis(const fs::path& folder, const std::string& stem) {
  for (const job_kind kind : {job_kind::mirror, job_kind::aus}) {
    const auto record = read_record(records_dir(folder) / (stem + "." + kind_name(kind) + ".json"));
    if (record) {
      analysis_record analysis = *record;  // the fields the report states
      // What makes a report of old AU files trustworthy (or not) months later.
      if (!analysis.input.empty() && !analysis.input_fingerprint.empty()) {
        const std::string now = input_fingerprint(analysis.input);
        analysis.input_now = now.empty() ? analysis_record::input_state::unreadable
                             : now == analysis.input_fingerprint
                                 ? analysis_record::input_state::unchanged
                                 : analysis_record::input_state::changed;
      }
      return analysis;
    }
  }
  return std::nullopt;
}

// Without it a later report would list the default models folder's checksums, whatever the AU
// files were computed with.
void add_recorded_provenance(const fs::path& folder, report_options& options) {
  options.recorded = [folder](const std::string& stem) { return recorded_analysis(folder, stem); };
  std::set<std::string> models;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(records_dir(folder), ec)) {
    const std::string name = entry.path().filename().string();
    for (const std::string suffix : {".mirror.json", ".aus.json"}) {
      if (name.size() > suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        if (const auto record = read_record(entry.path()))
          models.insert(record->models_dir);
        break;
      }
    }
  }
  if (!options.models_dir && models.size() == 1 && !models.begin()->empty())
    options.models_dir = fs::path(*models.begin());
}

}  // namespace facemirror::cli

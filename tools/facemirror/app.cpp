#include "app.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "facemirror/error.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/models/model_paths.h"
#include "facemirror/output/atomic_file.h"
#include "facemirror/report/tasks.h"

#include "app_page.h"
#include "app_security.h"
#include "commands.h"
#include "inputs.h"
#include "json_text.h"
#include "status.h"
#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>

namespace facemirror::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// What the page sees of the current (or last) batch: its number (1, 2, ... since the app
// started; 0 before the first) and a numbered list of JSON events.
class batch_state {
 public:
  // The new batch's number; 0 when a batch is running already.
  int begin() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_)
      return 0;
    running_ = true;
    cancel_ = false;
    events_.clear();
    return ++generation_;
  }
  void push(json event) {
    std::lock_guard<std::mutex> lock(mutex_);
    event["seq"] = events_.size();
    events_.push_back(json_text(event));
  }
  void end(json event) {
    std::lock_guard<std::mutex> lock(mutex_);
    event["seq"] = events_.size();
    events_.push_back(json_text(event));
    running_ = false;
  }
  void cancel() { cancel_ = true; }
  [[nodiscard]] bool cancelled() const { return cancel_; }
  [[nodiscard]] bool running() {
    std::lock_guard<std::mutex> lock(mutex_);
    return running_;
  }

  [[nodiscard]] int number() {
    std::lock_guard<std::mutex> lock(mutex_);
    return generation_;
  }

  // {"batch": its number, "finished": it ended and these are its last events, "events": the
  // events from `from` on}, as JSON text.
  std::string after(size_t from) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string reply = "{\"batch\":" + std::to_string(generation_) +
                        ",\"finished\":" + (!running_ && generation_ > 0 ? "true" : "false") +
                        ",\"events\":[";
    for (size_t i = from; i < events_.size(); ++i)
      reply += (i > from ? "," : "") + events_[i];
    return reply + "]}";
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> events_;
  bool running_ = false;
  int generation_ = 0;
  std::atomic<bool> cancel_{false};
};

void refuse(httplib::Response& res, int status, const std::string& why) {
  res.status = status;
  res.set_content(json{{"error", why}}.dump(), "application/json");
}

// The request's JSON object; nullopt (refused on `res`) when it is not one.
std::optional<json> json_body(const httplib::Request& req, httplib::Response& res) {
  try {
    json body = json::parse(req.body);
    if (body.is_object())
      return body;
  } catch (const std::exception&) {
  }
  refuse(res, 400, "the request is not a JSON object");
  return std::nullopt;
}

// What the browser shows in a tab (the folder list opens any file there): text as text (a CSV
// too, which as text/csv it would only download), pictures, videos and PDFs as such; anything
// else is downloaded. The sandbox and nosniff headers of /files apply to every one.
const char* content_type_of(const fs::path& file) {
  static const std::map<std::string, const char*> types = {{".html", "text/html; charset=utf-8"},
                                                           {".csv", "text/plain; charset=utf-8"},
                                                           {".txt", "text/plain; charset=utf-8"},
                                                           {".log", "text/plain; charset=utf-8"},
                                                           {".tsv", "text/plain; charset=utf-8"},
                                                           {".json", "application/json"},
                                                           {".mp4", "video/mp4"},
                                                           {".webm", "video/webm"},
                                                           {".mov", "video/quicktime"},
                                                           {".png", "image/png"},
                                                           {".jpg", "image/jpeg"},
                                                           {".jpeg", "image/jpeg"},
                                                           {".bmp", "image/bmp"},
                                                           {".gif", "image/gif"},
                                                           {".webp", "image/webp"},
                                                           {".pdf", "application/pdf"}};
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto found = types.find(ext);
  return found != types.end() ? found->second : "application/octet-stream";
}

// Opens the URL in the desktop's browser: xdg-open with the URL as its argument, no shell. A
// grandchild runs it, so nothing is left for us to reap.
void open_browser(const std::string& url) {
  const pid_t child = ::fork();
  if (child == 0) {
    if (::fork() == 0) {
      std::signal(SIGPIPE, SIG_DFL);  // ours is ignored; the browser it starts expects it not to be
      ::execlp("xdg-open", "xdg-open", url.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::_exit(0);
  }
  if (child > 0)
    ::waitpid(child, nullptr, 0);
}

// The editor's table: the plan's rows as a person writes them (report/tasks.h).
json plan_rows_json(const task_plan& plan) {
  json rows = json::array();
  for (const auto& row : task_plan_rows(plan))
    rows.push_back({{"task", row.task},
                    {"start_s", row.window.start_s},
                    {"end_s", row.window.end_s},
                    {"aus", row.aus}});
  return rows;
}

// What the page links for a finished video: the mirror job's report, the mirrored videos of a
// mirror-only job, an AUs-only job's CSV (its reports come at the end of the batch, with the
// index).
json output_links(const std::string& mode, const std::string& input, const std::string& folder) {
  const fs::path dir(folder);
  const std::string stem = input_stem(input);
  const mirror_outputs mirrored = mirror_outputs_for(input, dir, false);
  std::vector<std::pair<std::string, fs::path>> wanted;
  if (mode == "mirror")
    wanted = {{"report", dir / (stem + "_report.html")}};
  else if (mode == "mirror_only")
    wanted = {{"right mirrored", mirrored.right_video}, {"left mirrored", mirrored.left_video}};
  else
    wanted = {{"AU CSV", dir / (stem + ".csv")}};
  json links = json::array();
  for (const auto& [label, path] : wanted)
    links.push_back({{"label", label}, {"path", path.string()}});
  return links;
}

// "" when every window of `plan` holds a frame of `video` (as the report counts a window's
// frames: start <= t < end), else the first that holds none and why. A video that cannot be
// read is the batch's to report, not the plan's.
std::string window_without_a_frame(const task_plan& plan, const fs::path& video) {
  std::vector<double> timestamps;
  try {
    video_info info = probe_video(video);
    if (!info.frame_files.empty())
      return "";
    timestamps = std::move(info.timestamps_s);
  } catch (const std::exception&) {
    return "";
  }
  if (timestamps.empty())
    return "";
  for (const auto& row : task_plan_rows(plan)) {
    // The CSV's millisecond timestamps, which the report counts a window's frames by.
    if (std::any_of(timestamps.begin(), timestamps.end(),
                    [&](double t) { return row.window.contains(std::round(t * 1000.0) / 1000.0); }))
      continue;
    char why[128];
    if (row.window.start_s > timestamps.back())
      std::snprintf(why, sizeof(why), "starts at %.2f s, after the video's last frame (%.3f s)",
                    row.window.start_s, timestamps.back());
    else
      std::snprintf(why, sizeof(why), "(%.3f s to %.3f s) lies between two frames of the video",
                    row.window.start_s, row.window.end_s);
    return "'" + row.task + "' " + why + ": no frame of it would be measured";
  }
  return "";
}

// A plan holds at most max_tasks rows of a few dozen bytes each.
constexpr size_t max_plan_request_bytes = size_t{256} << 10;
// Every other request is a few paths: 16 MiB is tens of thousands of them.
constexpr size_t max_request_bytes = size_t{16} << 20;

// What a request may carry, refused by its Content-Length before its body is read into memory.
size_t request_limit(const std::string& path) {
  return path == "/api/task_plan" ? max_plan_request_bytes : max_request_bytes;
}

}  // namespace

int run_app(const app_options& options) {
  std::vector<fs::path> roots;
  std::vector<std::string> root_names = options.roots;
  if (root_names.empty()) {
    const char* home = std::getenv("HOME");
    root_names.push_back(home != nullptr ? home : "/");
  }
  for (const auto& r : root_names) {
    std::error_code ec;
    const fs::path root = fs::canonical(fs::absolute(r), ec);
    if (ec || !fs::is_directory(root)) {
      std::fprintf(stderr, "facemirror app: root '%s' is not a folder\n", r.c_str());
      return 2;
    }
    roots.push_back(root);
  }
  // A models folder that cannot serve is said now, not after the user has chosen videos and
  // pressed Start.
  try {
    verify_model_checksums(resolve_model_paths(
        options.models_dir.empty() ? std::nullopt : std::optional<fs::path>(options.models_dir)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "facemirror app: %s\n", e.what());
    return 2;
  }
  const std::string token = random_token();
  httplib::Server server;
  // One request per connection, then it is let go: a browser keeps idle connections open, and
  // each one kept held one of the server's threads (8 here) until it timed out, so a few tabs
  // following a batch left Cancel waiting seconds for a thread. More threads as well: a video
  // the task plan editor plays holds one while it streams.
  server.set_keep_alive_max_count(1);
  server.set_payload_max_length(max_request_bytes);  // a body without a Content-Length too
  server.new_task_queue = [] { return new httplib::ThreadPool(32); };
  batch_state batch;
  std::thread worker;
  int port = 0;

  // Every request: our Host, our Origin (when sent), the token.
  server.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
    if (!host_allowed(req.get_header_value("Host"), port)) {
      refuse(res, 403, "foreign Host");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!origin_allowed(req.get_header_value("Origin"), port)) {
      refuse(res, 403, "foreign Origin");
      return httplib::Server::HandlerResponse::Handled;
    }
    // A file's address carries its own token, and only that one counts: a right token beside
    // it (?token=, a header) would make any /files/WHATEVER/ address a valid one.
    const bool file_address = req.path.rfind("/files/", 0) == 0;
    const std::string given = file_address ? token_in_file_url(req.path)
                              : req.has_header("X-Facemirror-Token")
                                  ? req.get_header_value("X-Facemirror-Token")
                                  : req.get_param_value("token");
    if (!token_matches(given, token)) {
      refuse(res, 403, "missing or wrong token");
      return httplib::Server::HandlerResponse::Handled;
    }
    const std::string length = req.get_header_value("Content-Length");
    const unsigned long long announced = std::strtoull(length.c_str(), nullptr, 10);
    if (announced > request_limit(req.path)) {
      refuse(res, 413,
             "a request of " + std::to_string(announced) + " bytes: at most " +
                 std::to_string(request_limit(req.path) >> 10) + " KiB are read");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // A request field of the wrong type ({"video": 3}) is the request's fault; anything else
  // thrown in a handler is ours. Either way the page gets a reason, not a bare status.
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr thrown) {
        try {
          std::rethrow_exception(thrown);
        } catch (const json::exception& e) {
          refuse(res, 400, std::string("a field of the request has the wrong type: ") + e.what());
        } catch (const std::exception& e) {
          refuse(res, 500, e.what());
        } catch (...) {
          refuse(res, 500, "unknown error");
        }
      });

  server.Get("/", [&](const httplib::Request&, httplib::Response& res) {
    json roots_json = json::array();
    for (const auto& r : roots)
      roots_json.push_back(r.string());
    std::string page = app_page;
    const std::string marker = "/*CONFIG*/";
    page.replace(page.find(marker), marker.size(),
                 json{{"token", token}, {"roots", roots_json}}.dump());
    res.set_content(page, "text/html; charset=utf-8");
  });

  server.Get("/api/list", [&](const httplib::Request& req, httplib::Response& res) {
    const auto dir = inside_roots(req.get_param_value("path"), roots);
    if (!dir) {
      refuse(res, 403, "outside the chosen folders");
      return;
    }
    if (!fs::is_directory(*dir)) {
      refuse(res, 404, "not a folder");
      return;
    }
    // A folder the user may not read is said to be so, not shown empty.
    std::error_code ec;
    fs::directory_iterator listing(*dir, ec);
    if (ec) {
      refuse(res, 403, "'" + dir->string() + "' cannot be read: " + ec.message());
      return;
    }
    json entries = json::array();
    for (const auto& entry : listing) {
      const std::string name = entry.path().filename().string();
      if (name.empty() || name[0] == '.')
        continue;
      const bool folder = entry.is_directory(ec);
      const bool video = !folder && is_video_file(entry.path());
      // A mirror job takes a task plan beside the video along (the report's task section).
      const bool task_plan = video && fs::is_regular_file(task_plan_beside_video(entry.path()), ec);
      entries.push_back({{"name", name},
                         {"path", entry.path().string()},
                         {"folder", folder},
                         {"video", video},
                         {"task_plan", task_plan},
                         {"size", folder ? 0 : static_cast<int64_t>(entry.file_size(ec))}});
    }
    std::sort(entries.begin(), entries.end(), [](const json& a, const json& b) {
      return a["folder"] != b["folder"] ? a["folder"].get<bool>() : a["name"] < b["name"];
    });
    res.set_content(json_text(json{{"path", dir->string()},
                                   {"parent", dir->parent_path().string()},
                                   {"entries", entries}}),
                    "application/json");
  });

  server.Post("/api/start", [&](const httplib::Request& req, httplib::Response& res) {
    const auto parsed = json_body(req, res);
    if (!parsed)
      return;
    const json& body = *parsed;
    const std::string mode = body.value("mode", "");
    if (mode != "mirror" && mode != "mirror_only" && mode != "aus") {
      refuse(res, 400, "mode must be mirror, mirror_only or aus");
      return;
    }
    const std::string typed_output = body.value("output", "");
    if (typed_output.empty()) {
      refuse(res, 400, "choose an output folder");
      return;
    }
    // Said as it is: refused below as "outside the chosen folders", it reads like a wrong folder.
    if (typed_output.front() != '/') {
      refuse(res, 400,
             "the output folder '" + typed_output +
                 "' is not a full path: give it from / (\"Output here\" fills it in)");
      return;
    }
    const auto output = inside_roots(typed_output, roots);
    if (!output) {
      refuse(res, 403, "output folder outside the chosen folders");
      return;
    }
    // Said here: the run would only tell the terminal, and the page would show a batch of none.
    if (std::error_code ec; fs::exists(*output, ec) && !fs::is_directory(*output, ec)) {
      refuse(res, 400, "the output '" + output->string() + "' is a file, not a folder");
      return;
    }
    std::vector<std::string> inputs;
    for (const auto& item : body.value("inputs", json::array())) {
      const auto path =
          item.is_string() ? inside_roots(item.get<std::string>(), roots) : std::nullopt;
      if (!path) {
        // Named as the page gave it (a link in the folder may lead out of the roots).
        refuse(res, 403,
               "'" + (item.is_string() ? item.get<std::string>() : item.dump()) +
                   "' is outside the chosen folders (or a link leading out of them)");
        return;
      }
      inputs.push_back(path->string());
    }
    if (inputs.empty()) {
      refuse(res, 400, "no inputs");
      return;
    }
    // Tracks per face whose median makes each AU CSV (the CLI's --consensus).
    const json tracks = body.contains("consensus") ? body["consensus"] : json(1);
    if (!tracks.is_number_integer() || !valid_consensus_tracks(tracks.get<double>())) {
      refuse(res, 400,
             "consensus must be a whole number of tracks from 1 to " +
                 std::to_string(max_consensus_tracks));
      return;
    }
    const int consensus = tracks.get<int>();
    if (mode == "mirror_only" && consensus != 1) {
      refuse(res, 400, "consensus measures AUs: not with mirror only");
      return;
    }
    const json rerun = body.contains("rerun") ? body["rerun"] : json("unprocessed");
    if (rerun != "unprocessed" && rerun != "all") {
      refuse(res, 400, "rerun must be \"unprocessed\" or \"all\"");
      return;
    }
    const bool rerun_all = rerun == "all";
    const int batch_number = batch.begin();
    if (batch_number == 0) {
      refuse(res, 409, "a batch is running");
      return;
    }
    if (worker.joinable())
      worker.join();
    run_options run;
    run.output_dir = output->string();
    run.models_dir = options.models_dir;
    run.workers = options.workers;
    run.progress = "none";
    run.quiet = true;
    run.no_aus = mode == "mirror_only";
    run.consensus = consensus;
    run.force = rerun_all;
    const job_kind kind = mode == "aus" ? job_kind::aus : job_kind::mirror;
    run.inputs = inputs;
    run.command_line = "facemirror app: " + mode + " of " + std::to_string(inputs.size()) +
                       (inputs.size() == 1 ? " input" : " inputs") +
                       (consensus > 1 ? ", consensus " + std::to_string(consensus) : "") +
                       (rerun_all ? ", every video again" : ", only unprocessed videos");
    run.on_progress = [&batch](const progress_event& e) {
      batch.push({{"type", "progress"},
                  {"video", e.input.string()},
                  {"stage", e.stage},
                  {"frames_done", e.frames_done},
                  {"frames_total", e.frames_total},
                  {"batch_frames_done", e.batch_frames_done},
                  {"batch_frames_total", e.batch_frames_total},
                  {"fps", e.fps}});
    };
    run.should_abort = [&batch] { return batch.cancelled(); };
    // Whether a video of the batch has outputs (done now or before): the AUs-only batch's
    // report needs one, and a batch of failures has its reasons already.
    auto any_outputs = std::make_shared<std::atomic<bool>>(false);
    run.on_outcome = [&batch, mode, any_outputs](const std::string& outcome,
                                                 const std::string& input,
                                                 const std::string& detail) {
      if (outcome == "done" || outcome == "skipped")
        *any_outputs = true;
      json event = {{"type", "outcome"}, {"outcome", outcome}, {"input", input}};
      if (outcome == "done" && !input.empty()) {
        event["links"] = output_links(mode, input, detail);
        event["folder"] = detail;
      } else if (outcome == "failed") {
        event["reason"] = detail;
      }
      batch.push(event);
    };
    worker = std::thread([run, kind, &batch, any_outputs, output = *output] {
      const auto start = std::chrono::steady_clock::now();
      int status = 1;
      if (run.inputs.empty()) {
        status = 0;
      } else {
        try {
          status = cli::run(run, kind);
        } catch (const std::exception& e) {
          batch.push(
              {{"type", "outcome"}, {"outcome", "failed"}, {"input", ""}, {"reason", e.what()}});
        }
      }
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      json finished = {{"type", "finished"},
                       {"status", status},
                       {"seconds", seconds},
                       {"cancelled", batch.cancelled()}};
      // An AUs-only batch gets the report `facemirror report OUTDIR` writes (the mirror job
      // writes its own): a page per video, mirrored pairs compared, and the folder's index.
      if (kind == job_kind::aus && !batch.cancelled() && *any_outputs) {
        report_command report;
        report.folder = output.string();
        report.models_dir = run.models_dir;
        report.quiet = true;
        report.command_line = "facemirror app: report of " + output.string();
        if (run_report(report) != 0)
          batch.push({{"type", "outcome"},
                      {"outcome", "failed"},
                      {"input", ""},
                      {"reason", "the report of " + output.string() + " (the terminal says why)"}});
      }
      if (fs::exists(output / "index.html"))
        finished["index"] = (output / "index.html").string();
      batch.end(finished);
    });
    res.set_content(json{{"started", true}, {"batch", batch_number}}.dump(), "application/json");
  });

  // The plan beside a video of the roots (refused on `res` otherwise).
  const auto plan_beside = [&](const std::string& video,
                               httplib::Response& res) -> std::optional<fs::path> {
    const auto plan_path = task_plan_beside(video, roots);
    if (!plan_path) {
      refuse(res, 403, "outside the chosen folders, or the task plan is a symbolic link");
      return std::nullopt;
    }
    if (!is_video_file(video) || !fs::is_regular_file(*inside_roots(video, roots))) {
      refuse(res, 404, "not a video");
      return std::nullopt;
    }
    return plan_path;
  };

  // The task plan beside a video (`<stem>_tasks.csv`, report/tasks.h), for the page's editor:
  // its rows, or why it cannot be read, and the standard movements to choose from.
  server.Get("/api/task_plan", [&](const httplib::Request& req, httplib::Response& res) {
    const std::string video = req.get_param_value("video");
    const auto plan_path = plan_beside(video, res);
    if (!plan_path)
      return;
    json standard = json::array();
    for (const auto& task : standard_tasks()) {
      std::string aus;
      for (const auto* list : {&task.primary, &task.secondary}) {
        for (const auto& column : *list)
          aus += (aus.empty() ? "" : " ") + column.substr(0, 4);
      }
      standard.push_back({{"name", task.name}, {"label", task.label}, {"aus", aus}});
    }
    json reply = {{"plan", plan_path->string()},
                  {"exists", fs::exists(*plan_path)},
                  {"rows", json::array()},
                  {"standard", standard}};
    if (reply["exists"]) {
      try {
        reply["rows"] = plan_rows_json(read_task_plan(*plan_path));
      } catch (const std::exception& e) {
        reply["error"] = e.what();  // the page shows it; saving a new plan replaces the file
      }
    }
    res.set_content(json_text(reply), "application/json");
  });

  // Saves (or with "remove": true deletes) a video's task plan. The CSV is read as the report
  // reads it, so a plan the report would refuse is refused here with the same line and reason,
  // and written whole (atomic_file) in the form format_task_plan() gives it.
  server.Post("/api/task_plan", [&](const httplib::Request& req, httplib::Response& res) {
    if (req.body.size() > max_plan_request_bytes) {  // sent in chunks, without a length
      refuse(res, 413, "a task plan of more than 256 KiB");
      return;
    }
    const auto parsed = json_body(req, res);
    if (!parsed)
      return;
    const json& body = *parsed;
    const std::string video = body.value("video", "");
    const auto plan_path = plan_beside(video, res);
    if (!plan_path)
      return;
    try {
      if (body.value("remove", false)) {
        if (!fs::remove(*plan_path)) {
          refuse(res, 404, "there is no task plan to remove (" + plan_path->string() + ")");
          return;
        }
        res.set_content(json{{"removed", plan_path->string()}}.dump(), "application/json");
        return;
      }
      const json csv = body.contains("csv") ? body["csv"] : json();
      if (!csv.is_string()) {
        refuse(res, 400, "csv must be the plan's text");
        return;
      }
      const task_plan plan = parse_task_plan(csv.get<std::string>(), *plan_path);
      if (task_plan_rows(plan).empty()) {
        refuse(res, 400, "the plan has no rows: add a task (or Remove plan)");
        return;
      }
      // A window that starts after the video's last frame holds nothing: refused while the
      // user still has the video before them (one that runs past the end is measured as far
      // as it goes, and the report says so).
      if (const std::string late = window_without_a_frame(plan, *inside_roots(video, roots));
          !late.empty()) {
        refuse(res, 400, late);
        return;
      }
      atomic_file file(*plan_path);
      file.write(format_task_plan(plan));
      file.commit();
      res.set_content(json{{"saved", plan_path->string()}, {"rows", plan_rows_json(plan)}}.dump(),
                      "application/json");
    } catch (const error& e) {
      refuse(res, e.code() == error_code::invalid_argument ? 400 : 500, e.what());
    } catch (const std::exception& e) {
      refuse(res, 500, e.what());
    }
  });

  // Whether a batch runs, and the last one's number: a page loaded again shows the last batch
  // (its events from the start), a second tab follows one another tab started.
  server.Get("/api/batch", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(json{{"running", batch.running()}, {"batch", batch.number()}}.dump(),
                    "application/json");
  });

  server.Post("/api/cancel", [&](const httplib::Request&, httplib::Response& res) {
    batch.cancel();
    res.set_content(json{{"cancelling", true}}.dump(), "application/json");
  });

  // The last batch's events from ?from=N on (batch_state::after), answered at once: the page
  // asks again every 0.4 s. A stream held open per tab would take one of the six connections a
  // browser opens to a host: with six tabs following a batch, Cancel (and a seventh tab) waited
  // for its end, and the server's threads ran out as well.
  server.Get("/api/events", [&](const httplib::Request& req, httplib::Response& res) {
    size_t from = 0;
    try {
      from = req.has_param("from") ? std::stoul(req.get_param_value("from")) : 0;
    } catch (const std::exception&) {
      from = 0;
    }
    res.set_header("Cache-Control", "no-store");
    res.set_content(batch.after(from), "application/json");
  });

  // A finished job's files (reports, CSVs, videos), read where they are, at
  // /files/TOKEN/absolute/path: a report's relative links (index.html <-> <stem>_report.html)
  // then name their neighbours with the token. The files are the user's, not ours: an HTML file
  // is shown sandboxed (no script, an origin of its own), so one that came with a video cannot
  // read the token from its address and drive the app.
  server.Get(R"(/files/[0-9a-f]+(/.*))", [&](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Content-Security-Policy", "sandbox allow-modals allow-downloads");
    res.set_header("X-Content-Type-Options", "nosniff");
    const auto file = inside_roots(req.matches[1].str(), roots);
    if (!file) {
      refuse(res, 403, "outside the chosen folders");
      return;
    }
    auto in = std::make_shared<std::ifstream>(*file, std::ios::binary);
    std::error_code size_error;
    const auto size = fs::file_size(*file, size_error);
    if (!fs::is_regular_file(*file) || !*in || size_error) {
      refuse(res, 404, "no such file");
      return;
    }
    // Streamed in 64 KiB pieces (and any byte range a video player asks for), never read whole:
    // a job's mirrored 4K videos run to gigabytes.
    res.set_content_provider(
        static_cast<size_t>(size), content_type_of(*file),
        [in](size_t offset, size_t length, httplib::DataSink& sink) {
          std::vector<char> piece(std::min<size_t>(length, size_t{1} << 16));
          in->clear();
          in->seekg(static_cast<std::streamoff>(offset));
          in->read(piece.data(), static_cast<std::streamsize>(piece.size()));
          const auto got = static_cast<size_t>(in->gcount());
          return got > 0 && sink.write(piece.data(), got);  // a file cut short ends the reply
        });
  });

  // cpp-httplib's default options add SO_REUSEPORT, with which a second app on a port in use
  // starts too and the kernel splits the browser's requests between the two (each refusing
  // the other's token). SO_REUSEADDR alone: a port in use is refused, one in TIME_WAIT not.
  server.set_socket_options([](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  port = options.port == 0 ? server.bind_to_any_port("127.0.0.1")
                           : (server.bind_to_port("127.0.0.1", options.port) ? options.port : -1);
  if (port <= 0) {
    std::fprintf(stderr,
                 options.port > 0 && options.port < 1024 && ::geteuid() != 0
                     ? "facemirror app: cannot listen on 127.0.0.1:%d (a port under 1024 needs "
                       "root; --port 0 picks a free one)\n"
                     : "facemirror app: cannot listen on 127.0.0.1:%d (is another program, or "
                       "another facemirror app, using that port? --port 0 picks a free one)\n",
                 options.port);
    return 1;
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/?token=" + token;
  std::printf("%s\n", url.c_str());
  std::fflush(stdout);
  if (!options.no_browser)
    open_browser(url);
  // SIGINT/SIGTERM set `interrupted`; a watcher stops the server (and any batch).
  std::thread watcher([&server, &batch] {
    while (!interrupted)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    batch.cancel();
    server.stop();
  });
  server.listen_after_bind();
  interrupted = true;
  watcher.join();
  if (worker.joinable())
    worker.join();
  return 0;
}

}  // namespace facemirror::cli

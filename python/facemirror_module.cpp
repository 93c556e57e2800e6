// facemirror._facemirror: facemirror::engine's batch jobs for Python (the per-frame classes are
// per_frame.cpp's). The public Python API is python/facemirror/__init__.py; this module only
// runs the engine and hands back its results.
//
// GIL and Ctrl-C: the engine runs on a thread of its own with the GIL released. The calling
// thread waits in short slices and polls PyErr_CheckSignals() between them (Python runs signal
// handlers only on the main thread, so the poll belongs there); a pending KeyboardInterrupt, or
// an exception raised by the progress callback, sets the flag that engine_options::should_abort
// reads. The engine then stops, removes every unfinished output, and the exception is raised
// once run() has returned. The progress callback re-acquires the GIL only for its own call.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "facemirror/error.h"
#include "facemirror/features/au_descriptors.h"
#include "facemirror/io/image_reader.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/output/atomic_file.h"
#include "facemirror/output/hog_file.h"
#include "facemirror/pipeline/engine.h"
#include "facemirror/pipeline/input_fingerprint.h"
#include "facemirror/report/report.h"
#include "facemirror/report/tasks.h"
#include "facemirror/version.h"

#include "per_frame.h"
#include "status.h"
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

namespace py = pybind11;
namespace fs = std::filesystem;

namespace {

struct run_request {
  std::string kind;  // "aus" or "mirror"
  std::vector<fs::path> inputs;
  std::vector<fs::path> outputs;  // aus: one CSV per input; mirror: the output folder, once
  std::optional<fs::path> models_dir;
  int workers = 0;
  int segment_frames = 240;
  std::string landmarks = "clnf";
  std::string isolation = "thread";
  double frame_timeout_s = 60.0;
  double face_threshold = -0.5;
  bool compute_aus = true;
  bool static_aus = false;
  int mirror_crf = 18;
  int progress_every = 10;
  int max_faces = 1;
  bool write_hog = false;  // aus: also <stem>.hog and <stem>_of_details.txt beside the CSV
  // aus: also <stem>_aligned/ (OpenFace's -simalign), written as these options say.
  std::optional<facemirror::engine_options::aligned_face_options> aligned;
  int frame_stride = 1;                       // aus: every Nth frame only
  int consensus = 1;                          // aus: tracks per video, each CSV cell their median
  std::optional<std::vector<double>> camera;  // aus: fx, fy, cx, cy (else OpenFace's guess)
  std::string csv_outputs = "all";            // aus: the CLI's --outputs list
};

// An option value the engine cannot take: facemirror.InvalidArgument (a facemirror.Error and a
// ValueError), as the engine's own checks raise.
[[noreturn]] void invalid_option(const std::string& why) {
  throw facemirror::error(facemirror::error_code::invalid_argument, why);
}

facemirror::engine_options engine_options_for(const run_request& request) {
  facemirror::engine_options options;
  options.models_dir = request.models_dir;
  options.workers = request.workers;
  options.segment_frames = request.segment_frames;
  if (request.landmarks != "clnf" && request.landmarks != "dlib")
    invalid_option("landmarks must be 'clnf' or 'dlib', not '" + request.landmarks + "'");
  options.landmarks = request.landmarks == "dlib" ? facemirror::landmark_method::dlib
                                                  : facemirror::landmark_method::clnf;
  if (request.isolation != "thread" && request.isolation != "process")
    invalid_option("isolation must be 'thread' or 'process', not '" + request.isolation + "'");
  options.mode = request.isolation == "process" ? facemirror::isolation::process
                                                : facemirror::isolation::thread;
  options.frame_timeout_s = request.frame_timeout_s;
  options.tracker.acquire_score = request.face_threshold;
  options.compute_aus = request.compute_aus;
  options.outputs = facemirror::csv_outputs::parse(request.csv_outputs);
  options.static_aus = request.static_aus;
  options.mirror_crf = request.mirror_crf;
  if (request.max_faces < 1 || request.max_faces > facemirror::max_tracked_faces)
    invalid_option("max_faces must be 1 to " + std::to_string(facemirror::max_tracked_faces) +
                   ", not " + std::to_string(request.max_faces));
  options.max_faces = request.max_faces;
  options.write_hog = request.write_hog;
  if (request.aligned) {
    options.write_aligned_faces = true;
    options.aligned = *request.aligned;
  }
  if (request.frame_stride < 1)
    invalid_option("frame_stride must be at least 1");
  options.frame_stride = request.frame_stride;
  if (request.consensus < 1 || request.consensus > facemirror::max_consensus_tracks)
    invalid_option("consensus must be 1 to " + std::to_string(facemirror::max_consensus_tracks) +
                   " tracks, not " + std::to_string(request.consensus));
  options.consensus_tracks = request.consensus;
  if (request.camera) {
    const std::vector<double>& c = *request.camera;
    if (c.size() != 4)
      invalid_option("camera must be (fx, fy, cx, cy) in pixels");
    options.camera.focal = {c[0], c[1]};
    options.camera.centre = {c[2], c[3]};
  }
  if (request.progress_every < 1)
    invalid_option("progress_every must be at least 1");
  options.progress_interval_frames = request.progress_every;
  return options;
}

std::vector<facemirror::video_job> jobs_for(const run_request& request) {
  std::vector<facemirror::video_job> jobs;
  const bool mirror = request.kind == "mirror";
  if (!mirror && request.kind != "aus")
    throw py::value_error("kind must be 'aus' or 'mirror'");
  if (mirror ? request.outputs.size() != 1 : request.outputs.size() != request.inputs.size())
    throw py::value_error("outputs do not match the inputs");
  for (size_t i = 0; i < request.inputs.size(); ++i) {
    facemirror::video_job job;
    job.input = request.inputs[i];
    if (mirror) {
      job.kind = facemirror::job_kind::mirror;
      job.output_dir = request.outputs[0];
    } else {
      job.output_csv = request.outputs[i];
    }
    jobs.push_back(std::move(job));
  }
  return jobs;
}

// What the engine thread hands back to the waiting caller.
struct engine_run {
  std::mutex mutex;
  std::condition_variable finished_cv;
  bool finished = false;
  std::vector<facemirror::video_result> results;
  std::exception_ptr failure;
  std::atomic<bool> abort{false};
  // Set (under the GIL) by the progress callback when it raises; re-raised after the run.
  std::optional<py::error_already_set> callback_error;
  // Frames done last reported per video (under the GIL): the engine's "writing" and "done"
  // stages repeat the last count, which the callback, without the stage, would see twice.
  std::map<size_t, int64_t> reported;
};

py::dict result_dict(const run_request& request, const facemirror::video_result& result) {
  py::dict out;
  out["path"] = result.input;
  out["ok"] = result.ok;
  out["error"] = result.error;
  out["frames"] = result.frames;
  out["successful_frames"] = result.successful_frames;
  // CSV frame numbers (from 1) of frames decoded from damaged data (video_result).
  const auto frame_numbers = [](const std::vector<int64_t>& indices) {
    py::list numbers;
    for (const int64_t index : indices)
      numbers.append(index + 1);
    return numbers;
  };
  out["concealed_frames"] = frame_numbers(result.concealed_frames);
  out["missing_frames"] = frame_numbers(result.missing_frames);
  out["retried"] = result.retried;
  out["video_streams"] = result.video_streams;
  out["seconds"] = result.seconds;
  if (request.kind == "aus") {
    out["output_csv"] = result.output_csv;
    if (request.write_hog)
      out["hog_file"] = facemirror::openface_outputs_for(result.output_csv).hog;
    if (request.aligned)
      out["aligned_dir"] = facemirror::openface_outputs_for(result.output_csv).aligned_folder;
    return out;
  }
  py::dict files;
  if (result.ok) {
    const bool photograph = facemirror::is_image_file(result.input);
    bool rotated = false;
    try {
      rotated = !photograph && facemirror::probe_video(result.input).reoriented();
    } catch (const std::exception&) {
      // It was just read whole; should it have gone since, the names below are still S1's.
    }
    const auto names = facemirror::mirror_outputs_for(result.input, request.outputs[0], rotated);
    // A photograph's mirrored faces are PNG images, named as such.
    const std::string picture = photograph ? "_image" : "_video";
    files[("right" + picture).c_str()] = names.right_video;
    files[("left" + picture).c_str()] = names.left_video;
    files[("debug" + picture).c_str()] = names.debug_video;
    files[("source" + picture).c_str()] = names.source_video;
    files["head_pose_csv"] = names.head_pose_csv;  // written with or without AUs
    if (request.compute_aus) {
      files["right_csv"] = names.right_csv;
      files["left_csv"] = names.left_csv;
    }
  }
  out["outputs"] = files;
  return out;
}

py::list run(const run_request& request, const py::object& progress) {
  facemirror::engine_options options = engine_options_for(request);
  const std::vector<facemirror::video_job> jobs = jobs_for(request);
  auto state = std::make_shared<engine_run>();
  if (!progress.is_none()) {
    // The engine calls this from one worker thread at a time, never with the GIL held.
    options.on_progress = [state, &progress](const facemirror::progress_event& event) {
      py::gil_scoped_acquire gil;
      if (state->abort)
        return;
      const auto last = state->reported.find(event.video);
      if (last != state->reported.end() && event.frames_done <= last->second)
        return;
      state->reported[event.video] = event.frames_done;
      try {
        progress(event.input.string(), event.frames_done, event.frames_total, event.fps);
      } catch (py::error_already_set& raised) {
        state->callback_error = std::move(raised);
        state->abort = true;
      }
    };
  }
  options.should_abort = [state] { return state->abort.load(); };

  std::unique_ptr<facemirror::engine> engine;
  {
    py::gil_scoped_release no_gil;
    engine = std::make_unique<facemirror::engine>(std::move(options));
  }
  std::thread runner([state, &engine, &jobs] {
    std::vector<facemirror::video_result> results;
    std::exception_ptr failure;
    try {
      results = engine->run(jobs);
    } catch (...) {
      failure = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(state->mutex);
    state->results = std::move(results);
    state->failure = failure;
    state->finished = true;
    state->finished_cv.notify_all();
  });

  std::optional<py::error_already_set> interrupt;
  for (;;) {
    bool finished = false;
    {
      py::gil_scoped_release no_gil;
      std::unique_lock<std::mutex> lock(state->mutex);
      finished = state->finished_cv.wait_for(lock, std::chrono::milliseconds(50),
                                             [&] { return state->finished; });
    }
    if (finished)
      break;
    if (!interrupt && PyErr_CheckSignals() != 0) {
      interrupt.emplace();  // fetches the KeyboardInterrupt (or whatever the handler raised)
      state->abort = true;
    }
  }
  {
    py::gil_scoped_release no_gil;
    runner.join();
    engine.reset();
  }
  if (interrupt)
    throw std::move(*interrupt);
  if (state->callback_error)
    throw std::move(*state->callback_error);
  if (state->failure)
    std::rethrow_exception(state->failure);
  py::list results;
  for (const auto& result : state->results)
    results.append(result_dict(request, result));
  return results;
}

// An OpenFace .hog file (ours or OpenFace's) as (valid, features): one bool per frame, and every
// frame's descriptor as float32 [frames, cell rows, cell columns, channels], the file's order.
// Streams the records straight into the arrays: the file is held once (as the arrays), not
// also as a vector of records; its size gives the frame count when every record is frame 1's.
py::tuple read_hog(const fs::path& path) {
  const auto size_mismatch = [&path](size_t frame) {
    return facemirror::error(facemirror::error_code::io,
                             "HOG file '" + path.string() + "': frame " + std::to_string(frame) +
                                 "'s descriptor is not the size of frame 1's");
  };
  std::optional<facemirror::hog_file_reader> reader;
  facemirror::hog_record first;
  bool any = false;
  {
    py::gil_scoped_release no_gil;
    reader.emplace(path);
    any = reader->next(first);
  }
  // A file of no frames (a video of none) has the shape of every file facemirror and OpenFace
  // write, 12 x 12 cells of 31 (the 112-pixel face in 8-pixel cells), so that code reshaping
  // it as any other needs no case of its own.
  const int32_t rows = any ? first.rows : 12, cols = any ? first.cols : 12,
                channels = any ? first.channels : facemirror::fhog_orientations;
  const size_t per_frame = first.values.size();
  const uint64_t record_bytes = 16 + per_frame * sizeof(float);
  const size_t frames = any ? static_cast<size_t>(reader->size() / record_bytes) : 0;
  py::array_t<bool> valid(static_cast<py::ssize_t>(frames));
  py::array_t<float> features({static_cast<py::ssize_t>(frames), static_cast<py::ssize_t>(rows),
                               static_cast<py::ssize_t>(cols), static_cast<py::ssize_t>(channels)});
  if (frames == 0)
    return py::make_tuple(valid, features);
  bool* valid_out = valid.mutable_data();
  float* out = features.mutable_data();
  {
    py::gil_scoped_release no_gil;
    facemirror::hog_record r = std::move(first);
    size_t i = 0;
    do {
      if (r.rows != rows || r.cols != cols || r.channels != channels || i == frames)
        throw size_mismatch(i + 1);
      valid_out[i] = r.valid;
      std::copy(r.values.begin(), r.values.end(), out + i * per_frame);
      ++i;
    } while (reader->next(r));
    if (i != frames)  // a shorter record later left the file's size between whole frames
      throw size_mismatch(i + 1);
  }
  return py::make_tuple(valid, features);
}

}  // namespace

PYBIND11_MODULE(_facemirror, m) {
  m.doc() = "facemirror's engine, for the Python API in facemirror/__init__.py.";
  m.attr("__version__") = facemirror::version();
  // The engine's cap, which MultiFaceSession applies too (engine.h).
  m.attr("max_tracked_faces") = facemirror::max_tracked_faces;
  // facemirror.Error for every error of the library; an invalid argument (a bad option value,
  // camera, image) is also a ValueError, as Python's own functions raise for one.
  static py::exception<facemirror::error> error_type(m, "Error", PyExc_RuntimeError);
  error_type.attr("__module__") = "facemirror";  // where users catch it (as InvalidArgument)
  error_type.attr("__doc__") =
      "An error of facemirror's, its message naming the file and the reason (a video that "
      "cannot be read, a models folder without its files, ...); a RuntimeError. The run "
      "functions with on_error='raise' attach every result as .results.";
  static py::handle invalid_argument_type = PyErr_NewExceptionWithDoc(
      "facemirror.InvalidArgument",
      "A value facemirror cannot take (an option, a camera, an image): both a facemirror.Error "
      "and a ValueError.",
      py::make_tuple(error_type, py::handle(PyExc_ValueError)).ptr(), nullptr);
  m.attr("InvalidArgument") = invalid_argument_type;
  py::register_exception_translator([](std::exception_ptr raised) {
    try {
      if (raised)
        std::rethrow_exception(raised);
    } catch (const facemirror::error& e) {
      PyErr_SetString(e.code() == facemirror::error_code::invalid_argument
                          ? invalid_argument_type.ptr()
                          : error_type.ptr(),
                      e.what());
    }
  });
  facemirror::python::bind_per_frame(m);
  m.def("read_hog", &read_hog, py::arg("path"),
        "An OpenFace .hog file as (valid, features); see facemirror.read_hog.");

  m.def(
      "report",
      [](const fs::path& folder, int stills, double min_face_share, double max_turned_share,
         std::optional<fs::path> models_dir, std::string command) {
        facemirror::report_options options;
        options.stills = stills;
        options.min_face_share = min_face_share;
        options.max_turned_share = max_turned_share;
        options.models_dir = std::move(models_dir);
        options.command = std::move(command);
        facemirror::cli::add_recorded_provenance(folder, options);
        std::vector<facemirror::report_result> results;
        {
          // Stills decode videos and every model file is hashed: seconds without the GIL.
          py::gil_scoped_release released;
          results = facemirror::write_report(folder, options);
        }
        py::list out;
        for (const auto& r : results) {
          py::dict item;
          item["stem"] = r.stem;
          item["ok"] = r.ok;
          item["error"] = r.error;
          item["html"] = r.html.string();
          item["plan_error"] = r.plan_error;
          out.append(item);
        }
        return out;
      },
      py::arg("folder"), py::arg("stills"), py::arg("min_face_share"), py::arg("max_turned_share"),
      py::arg("models_dir"), py::arg("command"),
      "The clinician's report of an output folder; use facemirror.report() instead.");

  // Task plans (<stem>_tasks.csv) as the report reads them: rows (task, start_s, end_s, aus).
  const auto plan_rows = [](const facemirror::task_plan& plan) {
    py::list rows;
    for (const auto& row : facemirror::task_plan_rows(plan))
      rows.append(py::make_tuple(row.task, row.window.start_s, row.window.end_s, row.aus));
    return rows;
  };
  m.def(
      "read_task_plan",
      [plan_rows](const fs::path& path) { return plan_rows(facemirror::read_task_plan(path)); },
      py::arg("path"), "A task plan's rows; use facemirror.read_task_plan() instead.");
  m.def(
      "bring_task_plan",
      [](const fs::path& video, const fs::path& out_dir, const std::string& report_stem) {
        return facemirror::bring_task_plan(video, out_dir, report_stem) !=
               facemirror::plan_copy::unchanged;
      },
      py::arg("video"), py::arg("out_dir"), py::arg("report_stem"),
      "Copies the video's task plan into out_dir as <report_stem>_tasks.csv where it is newer, "
      "or removes a copy left untouched of a plan removed (the CLI's rule); whether it did.");
  m.def("video_extensions", &facemirror::video_extensions,
        "The extensions by which a folder's files are taken as videos (the CLI's).");
  m.def("image_extensions", &facemirror::image_extensions,
        "The extensions of the image files read_image takes (the CLI's).");
  m.def("task_plan_stem", &facemirror::task_plan_stem, py::arg("video_stem"),
        "The stem whose <stem>_tasks.csv holds the video's tasks (a mirrored pair's, else its "
        "own).");
  m.def(
      "write_task_plan",
      [plan_rows](const fs::path& path, const std::string& csv) {
        const facemirror::task_plan plan = facemirror::parse_task_plan(csv, path);
        facemirror::atomic_file file(path);
        file.write(facemirror::format_task_plan(plan));
        file.commit();
        return plan_rows(plan);
      },
      py::arg("path"), py::arg("csv"),
      "Checks a plan's CSV as the report reads it and writes it whole; use "
      "facemirror.write_task_plan() instead.");

  m.def(
      "record_outputs",
      [](const std::string& kind, const fs::path& input, const fs::path& output_dir,
         const fs::path& output_csv, const std::string& command,
         const std::optional<fs::path>& models_dir) {
        facemirror::video_job job;
        job.kind = kind == "mirror" ? facemirror::job_kind::mirror : facemirror::job_kind::aus;
        job.input = input;
        job.output_dir = output_dir;
        job.output_csv = output_csv;
        facemirror::cli::output_record record;
        record.input_fingerprint = facemirror::input_fingerprint(input);
        record.command = command;
        record.models_dir = facemirror::cli::recorded_models_dir(models_dir.value_or(fs::path()));
        std::error_code ec;
        record.input = fs::absolute(input, ec).lexically_normal().string();
        record.working_dir = fs::current_path(ec).string();
        facemirror::cli::write_record(facemirror::cli::record_file(output_dir, job), record);
      },
      py::arg("kind"), py::arg("input"), py::arg("output_dir"), py::arg("output_csv"),
      py::arg("command"), py::arg("models_dir"),
      "Records what made a finished video's outputs (OUTDIR/.facemirror, as the CLI does), for "
      "report()'s provenance.");

  m.def(
      "run",
      [](std::string kind, std::vector<fs::path> inputs, std::vector<fs::path> outputs,
         std::optional<fs::path> models_dir, int workers, int segment_frames, std::string landmarks,
         std::string isolation, double frame_timeout_s, double face_threshold, bool compute_aus,
         bool static_aus, int mirror_crf, int progress_every, int max_faces, bool write_hog,
         const py::object& aligned, int frame_stride, int consensus,
         std::optional<std::vector<double>> camera, std::string csv_outputs,
         const py::object& progress, bool check_only) {
        run_request request;
        request.kind = std::move(kind);
        request.inputs = std::move(inputs);
        request.outputs = std::move(outputs);
        request.models_dir = std::move(models_dir);
        request.workers = workers;
        request.segment_frames = segment_frames;
        request.landmarks = std::move(landmarks);
        request.isolation = std::move(isolation);
        request.frame_timeout_s = frame_timeout_s;
        request.face_threshold = face_threshold;
        request.compute_aus = compute_aus;
        request.static_aus = static_aus;
        request.mirror_crf = mirror_crf;
        request.progress_every = progress_every;
        request.max_faces = max_faces;
        request.write_hog = write_hog;
        if (!aligned.is_none()) {  // facemirror.AlignedFaces' fields
          facemirror::engine_options::aligned_face_options faces;
          faces.size = aligned.attr("size").cast<int>();
          faces.scale = aligned.attr("scale").cast<double>();
          faces.masked = aligned.attr("masked").cast<bool>();
          faces.grey = aligned.attr("grey").cast<bool>();
          faces.format = aligned.attr("format").cast<std::string>();
          faces.skip_failed = aligned.attr("skip_failed").cast<bool>();
          request.aligned = faces;
        }
        request.frame_stride = frame_stride;
        request.consensus = consensus;
        request.camera = std::move(camera);
        request.csv_outputs = std::move(csv_outputs);
        if (check_only) {  // the options alone, without the models: before any folder is made
          facemirror::check_engine_options(engine_options_for(request));
          return py::list();
        }
        return run(request, progress);
      },
      py::arg("kind"), py::arg("inputs"), py::arg("outputs"), py::arg("models_dir"),
      py::arg("workers"), py::arg("segment_frames"), py::arg("landmarks"), py::arg("isolation"),
      py::arg("frame_timeout_s"), py::arg("face_threshold"), py::arg("compute_aus"),
      py::arg("static_aus"), py::arg("mirror_crf"), py::arg("progress_every"), py::arg("max_faces"),
      py::arg("write_hog"), py::arg("aligned"), py::arg("frame_stride"), py::arg("consensus"),
      py::arg("camera"), py::arg("csv_outputs"), py::arg("progress"), py::arg("check_only") = false,
      "Runs one engine batch (kind 'aus' or 'mirror'); returns one dict per input, in order "
      "(check_only: raises for options the engine cannot take, runs nothing). "
      "Use facemirror.extract() / facemirror.mirror() instead.");
}

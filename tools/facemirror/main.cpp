// facemirror: per-frame OpenFace-2.2-layout facial Action Unit CSVs from videos, and S1 Face
// Mirror's mirrored videos, on every core.
//
// A thin shell over the library: parse options, build the engine, print one summary line per
// input. Exit status: 0 every input succeeded, 1 some input failed, 2 usage error,
// 130 interrupted (SIGTERM, or SIGINT or SIGHUP unless ignored; unfinished outputs are removed).

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "facemirror/models/model_paths.h"
#include "facemirror/report/tasks.h"
#include "facemirror/version.h"

#include "app.h"
#include "commands.h"
#include "openface_args.h"
#include <signal.h>

namespace {

extern "C" void on_signal(int) {
  facemirror::cli::interrupted = true;
}

// Ctrl-C, `kill` and a closed terminal window (SIGHUP) stop a run the same way: outputs in the
// making removed, workers ended. A SIGHUP or SIGINT already ignored stays so: nohup ignores
// SIGHUP, and a shell script starts its background jobs (cmd &) with SIGINT ignored, so that a
// Ctrl-C meant for the script does not stop them. A closed pipe on stderr (`2>&1 | head`) is no
// reason to stop either: without SIGPIPE the run goes on, its lines unread.
void stop_on_signals() {
  for (const int signal : {SIGINT, SIGHUP}) {
    struct sigaction now = {};
    if (::sigaction(signal, nullptr, &now) == 0 && now.sa_handler != SIG_IGN)
      std::signal(signal, on_signal);
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
}

// CLI11's PositiveNumber and NonNegativeNumber print their range with the largest double written
// out in full (309 digits); these say what the option wants.
CLI::Validator number_at_least(double lowest, bool inclusive, const std::string& wanted) {
  return CLI::Validator(
      [=](std::string& input) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(input.c_str(), &end);
        const bool parsed = !input.empty() && end == input.c_str() + input.size();
        if (!parsed || !(inclusive ? value >= lowest : value > lowest))
          return "must be " + wanted + ", not '" + input + "'";
        return {};
      },
      "", wanted);
}
const CLI::Validator above_zero = number_at_least(0, false, "a number above 0");
const CLI::Validator zero_or_more = number_at_least(0, true, "a number, 0 or more");

// `--shard "$UNSET"` in a job script would otherwise mean every input in every task.
const CLI::Validator not_empty(
    [](const std::string& value) { return value.empty() ? std::string("an empty value") : ""; }, "",
    "not empty");

// --consensus N: 1 to max_consensus_tracks tracks.
void add_consensus_option(CLI::App& cmd, int& tracks, const std::string& help) {
  cmd.add_option("--consensus", tracks, help)
      ->check(CLI::Range(1, facemirror::max_consensus_tracks))
      ->capture_default_str();
}

void add_common_options(CLI::App& cmd, facemirror::cli::run_options& opt) {
  cmd.add_option("inputs", opt.inputs,
                 "Video files, photographs (each alone: every face in it, or its widest face to "
                 "mirror), or folders whose video files are all processed (or --manifest)");
  cmd.add_option("--manifest", opt.manifest,
                 "File listing inputs, one per line (# comments; relative paths are relative to "
                 "the manifest's folder), processed after any INPUT")
      ->check(not_empty);
  cmd.add_option("--shard", opt.shard,
                 "I/N: process only shard I (0-based) of N, the inputs split by frame count so "
                 "the shards take similar time; auto/N takes I from $SLURM_ARRAY_TASK_ID; auto "
                 "also takes N from a contiguous Slurm array. Every shard of one input list "
                 "computes the same split")
      ->check(not_empty);
  cmd.add_flag("--list-inputs", opt.list_inputs,
               "Print the inputs this command would process, one absolute path per line "
               "(folders expanded, --shard applied), after checking the models folder and its "
               "checksums; process and write nothing. Exit 1 if an input is refused or missing "
               "or the models are not usable (scripts/slurm/submit.sh's check before "
               "submitting)");
  cmd.add_option("--models", opt.models_dir,
                 "Models folder holding OpenFace's AU_predictors/ and model/ (default: "
                 "$FACEMIRROR_MODELS, else ~/.local/share/facemirror/models; fill it with " +
                     facemirror::fetch_models_hint() + ")");
  cmd.add_option(
         "-w,--workers", opt.workers,
         "Workers, each with its own decoder and trackers (default, or 0: one per core). The "
         "output bytes do not depend on it")
      ->check(zero_or_more);
  cmd.add_option("--isolation", opt.isolation,
                 "thread (default): workers share the models in memory; process: each worker is "
                 "a process, and one that crashes or hangs is replaced, its segment retried once")
      ->check(CLI::IsMember({"thread", "process"}));
  cmd.add_option("--timeout", opt.timeout_s,
                 "With --isolation process: seconds a worker may spend on one frame before it is "
                 "killed and replaced (default 60, inf: no limit; time the run spends stopped, "
                 "Ctrl-Z or a suspended Slurm job, does not count; threads cannot be stopped, so "
                 "it does nothing without --isolation process)")
      ->check(above_zero);
  cmd.add_option("--segment-frames", opt.segment_frames,
                 "Frames per work unit; every video is cut into segments of this length (a "
                 "remainder under half of it joins the last segment), except the mirrored "
                 "faces, each measured as one track so that their AUs never depend on it")
      ->check(above_zero);
  cmd.add_option("--landmarks", opt.landmarks,
                 "clnf (default): OpenFace 2.2's CLNF fit, tracked; dlib: dlib's 68-point "
                 "predictor alone (faster, less faithful to OpenFace)")
      ->check(CLI::IsMember({"clnf", "dlib"}));
  cmd.add_option("--face-threshold", opt.face_threshold,
                 "Detector score a new face needs to be accepted (dlib HOG margin, default -0.5; "
                 "higher is stricter; above the default, faces dlib's detector cannot see, "
                 "under ~80 px, are not taken from MTCNN either). The CSV's confidence is "
                 "1/(1+exp(-2(score+0.5)))");
  cmd.add_flag("--au-static", opt.static_aus,
               "Use OpenFace's static AU models (no person-specific normalisation), like "
               "FeatureExtraction -au_static");
  cmd.add_option("--progress", opt.progress,
                 "auto (bar on a terminal), bar, json (one JSON object per line on stderr) or none")
      ->check(CLI::IsMember({"auto", "bar", "json", "none"}));
  cmd.add_flag("-q,--quiet", opt.quiet, "No progress and no per-input summary lines");
}

// `facemirror openface[-img] ARGS...`: OpenFace's single-dash flags, which CLI11 does not
// parse, translated by openface_args into the run `facemirror aus` does.
int run_openface(facemirror::cli::openface_program program, int argc, char** argv) {
  namespace cli = facemirror::cli;
  const std::string subcommand = cli::openface_subcommand(program);
  const char* name = subcommand.c_str();
  cli::openface_command command;
  try {
    command = cli::parse_openface_args(std::vector<std::string>(argv + 2, argv + argc), program);
  } catch (const cli::openface_usage_error& e) {
    std::fprintf(stderr, "facemirror %s: %s\n", name, e.what());
    return 2;
  }
  if (command.help) {
    std::fputs(cli::openface_usage(program).c_str(), stdout);
    return 0;
  }
  if (!command.options.quiet) {
    for (const auto& note : command.notes)
      std::fprintf(stderr, "facemirror %s: %s\n", name, note.c_str());
  }
  command.options.command_line = cli::command_line(argc, argv);
  stop_on_signals();
  try {
    return cli::run(command.options, facemirror::job_kind::aus);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "facemirror: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  namespace cli = facemirror::cli;
  CLI::App app{
      "facemirror: OpenFace-2.2-compatible facial Action Units from videos, on every core"};
  app.set_version_flag("--version", facemirror::version());
  app.require_subcommand(1);

  if (argc >= 2 && std::string(argv[1]) == "openface")
    return run_openface(cli::openface_program::feature_extraction, argc, argv);
  if (argc >= 2 && std::string(argv[1]) == "openface-img")
    return run_openface(cli::openface_program::face_landmark_img, argc, argv);
  if (argc >= 2 && std::string(argv[1]) == "openface-multi")
    return run_openface(cli::openface_program::face_landmark_vid_multi, argc, argv);

  cli::run_options aus;
  CLI::App* aus_cmd = app.add_subcommand(
      "aus", "Write one OpenFace-2.2-layout CSV per input video (landmarks, pose, AUs)");
  add_common_options(*aus_cmd, aus);
  aus_cmd
      ->add_option("-o,--output-dir", aus.output_dir,
                   "Folder for the CSVs: OUTDIR/<input stem>.csv (created if missing)")
      ->required();
  CLI::Option* no_aus = aus_cmd->add_flag(
      "--no-aus", aus.no_aus, "No AU columns and no AU models (the other column groups stay)");
  aus_cmd
      ->add_flag("--hog", aus.write_hog,
                 "Also write OUTDIR/<stem>.hog: OpenFace 2.2's binary HOG file (its -hogalign), "
                 "the 12x12x31 FHOG of the aligned face per frame, and <stem>_of_details.txt")
      ->excludes(no_aus);
  CLI::Option* aligned =
      aus_cmd
          ->add_flag("--aligned", aus.write_aligned_faces,
                     "Also write OUTDIR/<stem>_aligned/frame_det_00_NNNNNN.bmp: the 112x112 "
                     "similarity-aligned, masked face per frame, as OpenFace 2.2's -simalign, and "
                     "<stem>_of_details.txt")
          ->excludes(no_aus);
  // OpenFace's options for the faces -simalign writes; the AU features never change.
  aus_cmd
      ->add_option("--aligned-size", aus.aligned.size,
                   "Width and height of the written aligned faces in pixels (OpenFace's -simsize)")
      ->check(CLI::Range(1, 4096))
      ->needs(aligned)
      ->capture_default_str();
  aus_cmd
      ->add_option("--aligned-scale", aus.aligned.scale,
                   "Scale of the face in the written aligned faces (OpenFace's -simscale)")
      ->check(CLI::PositiveNumber)
      ->needs(aligned)
      ->capture_default_str();
  aus_cmd
      ->add_option("--aligned-format", aus.aligned.format,
                   "Image format (file extension) of the written aligned faces, any that OpenCV "
                   "writes: bmp, png, jpg, ... (OpenFace's -format_aligned)")
      ->needs(aligned)
      ->capture_default_str();
  aus_cmd
      ->add_flag_callback(
          "--aligned-unmasked", [&aus] { aus.aligned.masked = false; },
          "Write the aligned faces without the face mask (OpenFace's -nomask)")
      ->needs(aligned);
  aus_cmd
      ->add_flag("--aligned-grey", aus.aligned.grey,
                 "Write the aligned faces in grey levels (OpenFace's -g)")
      ->needs(aligned);
  aus_cmd
      ->add_flag("--aligned-skip-failed", aus.aligned.skip_failed,
                 "Write no aligned face for a frame without a face (OpenFace's -nobadaligned)")
      ->needs(aligned);
  aus_cmd->add_flag("--frames", aus.frame_folders,
                    "Folders given are frame folders: each is one video whose frames are its "
                    "image files in name order (OpenFace's -fdir), written to OUTDIR/<folder>.csv");
  aus_cmd
      ->add_option(
          "--max-faces", aus.max_faces,
          "Faces followed per video: 1 (default) as OpenFace's FeatureExtraction; N > 1 as its "
          "FaceLandmarkVidMulti: up to N faces, new ones found every 8 frames, face_id = the "
          "tracker's slot, one row per tracked face and frame, OpenFace's static AU models "
          "(no post-processing), FaceLandmarkVidMulti's CSV layout. Such a video is one unit of "
          "work: one worker per video, whatever --segment-frames or --isolation (threads); "
          "not with --hog, --aligned or --landmarks dlib")
      ->check(CLI::Range(1, facemirror::max_tracked_faces))
      ->capture_default_str();
  aus_cmd
      ->add_option(
          "--frame-stride", aus.frame_stride,
          "Analyse every Nth frame only (frames 1, 1+N, 1+2N, ...), as if the video held those "
          "frames alone (tracking, the person-specific normalisation and AU post-processing "
          "see only them), so the values differ from an every-frame run's (README); rows keep "
          "the video's frame numbers and timestamps. 1 (default): every frame, as OpenFace")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  add_consensus_option(*aus_cmd, aus.consensus,
                       "Track each video N times, each track's every CLNF fit started a "
                       "different float ulp away, and write every CSV cell as the median of the N "
                       "tracks' (odd N: the middle track's cell, success and AU presence by "
                       "majority; even N: the mean of the two middle tracks' cells, success and AU "
                       "presence the earlier track's). Where a fit settles is decided by rounding "
                       "on many frames, so OpenFace's own output is one such draw: the median of "
                       "2 or 3 lies closer to it than a single track does (README, Fidelity), at "
                       "N times the CPU. 1 (default): one track. Only videos with one face; not "
                       "with --hog, --aligned, --max-faces above 1 or --landmarks dlib");
  aus_cmd->add_flag("--force", aus.force,
                    "Process videos whose CSV is present already (skipped by default, so an "
                    "interrupted batch or a resubmitted shard resumes where it stopped; a video "
                    "changed since its outputs were written is redone anyway)");
  aus_cmd
      ->add_option(
          "--outputs", aus.outputs,
          "Column groups of the CSV, comma-separated: 2Dfp, 3Dfp, pdmparams, pose, aus, "
          "gaze (OpenFace's -2Dfp -3Dfp -pdmparams -pose -aus -gaze), all, or none (only the "
          "five identifying columns); the columns keep OpenFace's order")
      ->capture_default_str()
      ->check([](const std::string& list) -> std::string {
        try {
          (void)facemirror::csv_outputs::parse(list);
          return {};
        } catch (const std::exception& e) {
          return e.what();
        }
      });
  CLI::Option* fx =
      aus_cmd->add_option("--fx", aus.fx,
                          "Camera focal length in x, pixels (with --fy; default: OpenFace's guess, "
                          "500 * (width/640 + height/480) / 2)");
  CLI::Option* fy = aus_cmd->add_option("--fy", aus.fy, "Camera focal length in y, pixels");
  CLI::Option* cx = aus_cmd->add_option(
      "--cx", aus.cx, "Camera principal point x, pixels (with --cy; default: centre of the image)");
  CLI::Option* cy = aus_cmd->add_option("--cy", aus.cy, "Camera principal point y, pixels");
  for (CLI::Option* o : {fx, fy})
    o->check(above_zero);
  // A pair whole or not at all, as OpenFace reads them: fx without fy has no meaning.
  for (auto [one, other] : {std::pair{fx, fy}, std::pair{cx, cy}}) {
    one->needs(other);
    other->needs(one);
  }
  aus_cmd->footer(
      "Example:\n  facemirror aus patient01.mp4 sessions/ -o results/ --workers 4\n"
      "writes results/patient01.csv and one CSV per video in sessions/. AUs of videos written by\n"
      "'facemirror mirror' (the S1 'OpenFace only' mode): facemirror aus out/*_mirrored.mp4 -o "
      "out/");

  cli::run_options mirror;
  CLI::App* mirror_cmd = app.add_subcommand(
      "mirror",
      "S1 Face Mirror: left- and right-mirrored videos, a debug video and the AUs of both "
      "mirrored faces, in one pass (photographs: the same as PNG images, one row per face)");
  add_common_options(*mirror_cmd, mirror);
  mirror_cmd
      ->add_option("-o,--output-dir", mirror.output_dir,
                   "Folder for every output: <stem>_right_mirrored.mp4/.csv, "
                   "<stem>_left_mirrored.mp4/.csv, <stem>_debug.mp4, <stem>_source.<ext>, "
                   "<stem>_head_pose.csv, <stem>_report.html and index.html")
      ->required();
  mirror_cmd->add_flag("--no-aus", mirror.no_aus, "Mirror only: no AU CSVs, so no report either");
  mirror_cmd
      ->add_option(
          "--crf", mirror.crf,
          "x264 quality of the mirrored videos (0 lossless .. 51; 18, S1's, is visually "
          "lossless; lower keeps re-analysed AUs closer to the in-pass AUs, larger files); "
          "the debug video is encoded 10 steps coarser")
      ->check(CLI::Range(0, 51))
      ->capture_default_str();
  add_consensus_option(*mirror_cmd, mirror.consensus,
                       "Measure each mirrored face N times, each track's every CLNF fit "
                       "started a different float ulp away, and write every cell of its CSV as "
                       "the median of the N tracks' ('aus --consensus': closer to OpenFace 2.2 "
                       "than one track). 1 (default): one track. The mirroring and the videos do "
                       "not change; the AUs cost N times as much");
  mirror_cmd->add_flag("--force", mirror.force,
                       "Process videos whose outputs are all present already (skipped by default, "
                       "so an interrupted batch resumes where it stopped; a video changed since "
                       "its outputs were written is redone anyway)");
  mirror_cmd->add_flag("--no-report", mirror.no_report,
                       "No HTML reports (by default each video's report is written as soon as "
                       "its outputs are, and the folder's index at the end, as 'facemirror report "
                       "OUTDIR' writes them)");
  mirror_cmd->footer(
      "Example:\n  facemirror mirror patients/ -o mirrored/\n"
      "\"right_mirrored\" is the patient's right half (image left in an unflipped camera view)\n"
      "and its reflection across the glabella-chin midline.");

  cli::summary_options summary;
  CLI::App* summary_cmd = app.add_subcommand(
      "summary",
      "Report a batch's videos as done, failed (with the reason) or missing; exit status 1 "
      "while any is failed or missing");
  summary_cmd->add_option("output_dir", summary.output_dir, "The batch's output folder (-o)")
      ->required();
  summary_cmd->add_option("--manifest", summary.manifest,
                          "The batch's inputs (as given to aus/mirror --manifest); without it, "
                          "the videos that have a status file in OUTDIR/status");
  summary_cmd
      ->add_option("--kind", summary.kind,
                   "The batch's command: aus, mirror, or auto (default): the one whose "
                   "status files or records OUTDIR holds (aus when it holds both or none)")
      ->check(CLI::IsMember({"auto", "aus", "mirror"}));
  summary_cmd->add_option("--csv", summary.csv,
                          "Where the CSV goes (default OUTDIR/status/summary.csv)");
  summary_cmd->footer(
      "Example:\n  facemirror summary results/ --manifest results/manifest.txt\n"
      "prints one line per video and writes results/status/summary.csv.");

  cli::report_command report;
  CLI::App* report_cmd = app.add_subcommand(
      "report",
      "The clinician's report of an output folder: <stem>_report.html per video (self-contained: "
      "left/right AU charts, summary table, quality, provenance; a Tasks section and "
      "<stem>_task_asymmetry.csv, or for one face <stem>_task_aus.csv, where the folder has a "
      "task plan <stem>_tasks.csv), index.html, "
      "<stem>_asymmetry.csv and asymmetry_summary.csv");
  report_cmd
      ->add_option("folder", report.folder,
                   "Output folder of 'facemirror mirror' (left/right report) or 'facemirror "
                   "aus' (one face per video)")
      ->required();
  report_cmd->add_option("--models", report.models_dir,
                         "Models folder whose checksums the provenance lists (default as for aus)");
  report_cmd
      ->add_option("--stills", report.stills,
                   "Stills of both mirrored faces at the frames of strongest asymmetry (0: no "
                   "stills, the tasks' rest and peak stills included)")
      ->check(CLI::Range(0, 12))
      ->capture_default_str();
  report_cmd
      ->add_option("--min-face-share", report.min_face_share,
                   "Flag a face found in fewer than this share of the frames (0..1)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  report_cmd
      ->add_option("--max-turned-share", report.max_turned_share,
                   "Flag a mirrored video whose head turned more than 5 degrees in more than "
                   "this share of its frames with a face (0..1)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  report_cmd->add_flag("-q,--quiet", report.quiet, "No per-video lines");
  std::string standard_tasks;
  for (const auto& task : facemirror::standard_tasks())
    standard_tasks += task.name + ", ";
  report_cmd->footer(
      "Example:\n  facemirror report mirrored/\n"
      "A task plan mirrored/<stem>_tasks.csv (a header line task,start_s,end_s[,aus], then a "
      "line per window; standard "
      "tasks " +
      standard_tasks +
      "and rest; others name their AUs in a fourth field) adds that video's task "
      "section.");

  cli::app_options app_opts;
  CLI::App* app_cmd = app.add_subcommand(
      "app",
      "Local web UI: choose videos and an output folder, start a mirror or AU batch, watch its "
      "progress, open the reports. Listens on 127.0.0.1 only and prints its URL (with a random "
      "token) on one line");
  app_cmd->add_option("--port", app_opts.port, "Port (default: any free one)")
      ->check(CLI::Range(0, 65535));
  app_cmd->add_flag("--no-browser", app_opts.no_browser, "Print the URL, do not open a browser");
  app_cmd->add_option("--root", app_opts.roots,
                      "Folder the page may browse, read videos from and write to (repeatable; "
                      "default: your home folder)");
  app_cmd->add_option("--models", app_opts.models_dir, "Models folder (default as for aus)");
  app_cmd->add_option("-w,--workers", app_opts.workers, "Workers (default: one per core)")
      ->check(zero_or_more);

  // Listed here for --help; main() hands their arguments to run_openface() before CLI11.
  app.add_subcommand("openface",
                     "OpenFace 2.2 FeatureExtraction's command line (-f, -fdir, -out_dir, -of, "
                     "-aus, ...): the same files; 'facemirror openface --help' lists the flags");
  app.add_subcommand("openface-img",
                     "OpenFace 2.2 FaceLandmarkImg's command line: every image alone, every face "
                     "in it; 'facemirror openface-img --help' lists the flags");
  app.add_subcommand("openface-multi",
                     "OpenFace 2.2 FaceLandmarkVidMulti's command line: up to 4 faces per video "
                     "(aus --max-faces 4); 'facemirror openface-multi --help' lists the flags");

  const std::string typed = cli::command_line(argc, argv);
  aus.command_line = mirror.command_line = report.command_line = typed;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (aus_cmd->parsed() && aus.max_faces > 1 &&
      (aus.write_hog || aus.write_aligned_faces || aus.landmarks == "dlib")) {
    std::fprintf(stderr,
                 "facemirror aus: --max-faces above 1 (FaceLandmarkVidMulti's rules) writes no "
                 "HOG file or aligned faces and needs the CLNF landmarks\n");
    return 2;
  }
  stop_on_signals();
  try {
    if (aus_cmd->parsed())
      return cli::run(aus, facemirror::job_kind::aus);
    if (mirror_cmd->parsed())
      return cli::run(mirror, facemirror::job_kind::mirror);
    if (summary_cmd->parsed())
      return cli::summarize(summary);
    if (report_cmd->parsed())
      return cli::run_report(report);
    if (app_cmd->parsed())
      return cli::run_app(app_opts);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "facemirror: %s\n", e.what());
    return 1;
  }
  return 2;
}

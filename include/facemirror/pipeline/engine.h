#pragma once
// The parallel engine: many videos in, one OpenFace-layout CSV per video out.
//
// WHAT THIS REPRESENTS
//   A run over a batch of videos with models loaded once. Every video is cut into fixed-length
//   frame segments (independent of the worker count); segments of all videos share one queue
//   that N workers drain. Each worker owns its session (decoder, detector, tracker state) and
//   warms its tracker up on a few frames before its segment. Where that cold track does not
//   agree with the track that came through the segment before, the earlier track is carried on
//   into the segment until they agree, so at every segment start a video's track is the one
//   continuous tracking gives, to 0.01 px (a knife-edge frame later in the segment can widen
//   that to tenths of a pixel on a few frames; one segment is the continuous track byte for
//   byte). Order-dependent work (running median, AU
//   prediction, post-processing, CSV text) runs in frame order through a per-video reorder
//   buffer, so the output bytes are the same for any worker count.
//
// THREAD SAFETY
//   run() may be called from one thread at a time; it owns every thread it starts, and calls
//   the progress callback from one thread at a time (not necessarily the caller's).
//   Constructing an engine makes the libraries under it single-threaded for the process
//   (OpenCV's parallel_for, OpenBLAS): the workers are the parallelism, and library thread
//   pools only oversubscribe the cores (and must not exist when worker processes fork). The
//   one exception is each worker's video decoder, which runs two threads of its own while the
//   worker reads a video, so that cores left idle near the end of the work decode for the
//   workers still busy.
//   isolation::process also sets SIGPIPE to SIG_IGN for the process (a worker killed while
//   writing must not kill the caller) and forks worker
//   processes that run only this library's code; isolation::thread changes no signal disposition.
//
// ERRORS
//   Model problems throw from the constructor. A bad video never throws from run(): it is
//   reported in its video_result (ok == false, error names the file and reason), its CSV is
//   not written, and the rest of the batch goes on.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "facemirror/landmarks/face_tracker.h"
#include "facemirror/landmarks/pdm.h"
#include "facemirror/output/csv_writer.h"
#include "facemirror/types.h"

namespace facemirror {

struct video_result;

struct progress_event {
  size_t video = 0;  // index into the jobs passed to run()
  std::filesystem::path input;
  int64_t frames_done = 0;  // of this video
  int64_t frames_total = 0;
  // Over all of run()'s inputs (a still image counts as one frame, a mirror job's video once
  // per mirrored face more); done climbs once from 0 to total, total stays the same.
  int64_t batch_frames_done = 0;
  int64_t batch_frames_total = 0;
  double fps = 0.0;   // batch throughput since run() started
  std::string stage;  // "analysing", "writing", "done", "failed"
};

/// How workers are isolated from each other. Threads share the models in memory; processes
/// inherit them copy-on-write, and a worker that crashes or hangs is replaced (its segment is
/// retried once, then only its video fails).
enum class isolation { thread, process };

/// How the 68 landmarks are found. clnf (default) reproduces OpenFace 2.2's CLNF fit, tracked
/// from frame to frame (dlib's detector and shape predictor supply the face and the starting
/// shape); dlib uses dlib's 68-point shape predictor alone (faster, about 2-8 px from OpenFace).
enum class landmark_method { clnf, dlib };

/// The most faces (engine_options::max_faces) and consensus tracks (consensus_tracks) one run
/// takes, whichever front end asks: every face and every track is fitted on every frame, so a
/// larger number is a slip of the finger, not a wish (16 tracks take 16 times as long).
inline constexpr int max_tracked_faces = 64;
inline constexpr int max_consensus_tracks = 15;

struct engine_options {
  std::optional<std::filesystem::path> models_dir;  // default: default_models_dir()
  int workers = 0;                                  // 0: usable_cpus()
  /// Frames per work unit; a remainder under half of it joins the last segment. Not used for
  /// a mirror job's mirroring (fixed 240-frame chunks) or a mirrored face's AUs (one track).
  int segment_frames = 240;
  int warmup_frames = 8;  // tracker warm-up before a segment
  isolation mode = isolation::thread;
  landmark_method landmarks = landmark_method::clnf;
  /// A worker process that reports no finished frame for this long is killed and replaced.
  double frame_timeout_s = 60.0;
  /// false: no AU models run and the CSVs are OpenFace's without -aus (outputs.aus is taken
  /// as false).
  bool compute_aus = true;
  bool static_aus = false;  // OpenFace's -au_static models
  /// aus jobs (not mirror jobs' AU analyses): also write OpenFace 2.2's HOG file (-hogalign)
  /// and/or folder of aligned faces (-simalign) beside the CSV, named by
  /// openface_outputs_for(), with <stem>_of_details.txt.
  /// Both need compute_aus (the HOG is the AU features'; the faces are what it describes), not
  /// outputs.aus: without it the AU models still run, their columns are left out of the CSV.
  /// Off, the engine does no extra work.
  bool write_hog = false;
  bool write_aligned_faces = false;
  /// aus jobs: <stem>_of_details.txt beside every CSV (videos, frame folders, still images,
  /// several faces), as OpenFace's programs write one for every input (`facemirror openface`
  /// and its siblings); with write_hog or write_aligned_faces it is written in any case.
  bool write_of_details = false;
  /// A still image, or a video followed for several faces (max_faces > 1), in which no face is
  /// found gets no CSV (its details file, when written, ends at the camera line), as OpenFace's
  /// FaceLandmarkImg and FaceLandmarkVidMulti open their CSV at the first face; off (the
  /// default), a header-only CSV says that the input was analysed.
  bool skip_faceless_csv = false;
  /// How the aligned faces are written (OpenFace's -simscale, -simsize, -nomask, -g,
  /// -format_aligned, -nobadaligned). They change the written images only: the AU features
  /// and the HOG file always describe OpenFace's 0.7-scale, 112-pixel, masked face. A scale
  /// that is not positive and finite, a size outside 1..4096 or a format OpenCV cannot write
  /// makes the constructor throw error(invalid_argument).
  struct aligned_face_options {
    double scale = 0.7;
    int size = 112;
    bool masked = true;
    bool grey = false;
    std::string format = "bmp";  // an image file extension (bmp, png, jpg, ...)
    bool skip_failed = false;    // no image for a frame without a face (success 0)
  } aligned;
  /// The column groups of the CSVs (OpenFace's output selectors; all by default). Without
  /// `aus` (and without write_hog/write_aligned_faces) no AU models are loaded, as with
  /// compute_aus = false.
  csv_outputs outputs;
  /// Camera intrinsics (pixels) for pose, 3-D landmarks and gaze, OpenFace's -fx -fy -cx -cy:
  /// the focal pair, the centre pair, both or neither; what is not given is OpenFace's guess
  /// from each input's size (camera_intrinsics::guess). A given fx and fy must be positive and
  /// every given value finite, else the constructor throws error(invalid_argument).
  camera_setting camera;
  /// aus jobs' videos: 1 (the default) follows one face as OpenFace's FeatureExtraction does;
  /// N > 1 follows up to N faces as OpenFace's FaceLandmarkVidMulti does (multi_face_session:
  /// its rules, its CSV layout with the tracker slot as face_id, OpenFace's static AU models
  /// with no post-processing). Such a video is analysed whole by one worker thread, whatever
  /// the isolation (its trackers' slots run through the whole video), so a batch runs several
  /// at once but one video on one core; its bytes depend on nothing but the video. Needs CLNF;
  /// excludes write_hog and write_aligned_faces; 1 to max_tracked_faces (else the constructor
  /// throws error(invalid_argument)).
  int max_faces = 1;
  /// aus jobs' videos: analyse only every frame_stride-th frame (frames 1, 1 + N, 1 + 2N, ...
  /// of the container), as if the video held those frames alone: tracking, the person-specific
  /// running median and the AU post-processing see only them, and segments count them, so the
  /// rows are those of a video made of those frames (same pixels), with the container's frame
  /// numbers and timestamps (aligned faces are named by them too). The frames between are
  /// decoded as far as decoding needs, not analysed. 1 (the default): every frame. Not used
  /// for a mirror job: its mirrored videos and their AUs take every frame. Below 1 the
  /// constructor throws error(invalid_argument).
  int frame_stride = 1;
  /// aus jobs' videos with one face, and mirror jobs' mirrored faces: track each this many
  /// times (1, the default, tracks it once), draw d's every followed CLNF fit started 0, +1,
  /// -1, +2, -2... float ulps away (clnf_tracker_options::start_offset_ulps), and write each
  /// CSV cell as the median of the draws' cells: for an odd count the middle draw's text (the
  /// layout and precision are OpenFace's; success and AU presence by majority), for an even
  /// count the exact mean of the two middle draws' cells (success and AU presence the earlier
  /// draw's). Where a fit settles is decided by rounding on many frames
  /// (docs/fidelity_notes.md), so OpenFace's output is one draw of it; the median of two or
  /// three lies closer to OpenFace's run than another single draw does (README, Fidelity).
  /// Costs `consensus_tracks` times the analysis. A video's draws are tracked in parallel,
  /// each written under a partial name beside the CSV (removed when the CSV is written). A
  /// mirror job mirrors and encodes once and measures each written mirrored face once per
  /// draw, in parallel, so its CSVs are those that `aus` with the same consensus gives on the
  /// written videos. Still images are analysed once. Below 1, above max_consensus_tracks, or
  /// above 1 with write_hog,
  /// write_aligned_faces, max_faces > 1 or landmark_method::dlib, the constructor throws
  /// error(invalid_argument).
  int consensus_tracks = 1;
  /// Every followed CLNF fit of every video starts this many float ulps away (one draw of
  /// consensus_tracks; 0, the default: OpenFace's start). Beyond +-1000 the constructor throws
  /// error(invalid_argument).
  int tracked_start_offset_ulps = 0;
  /// x264 constant rate factor of the mirror job's videos: 18 (S1's) is visually lossless;
  /// lower keeps the files closer to the frames the in-pass AUs were measured on (larger files).
  /// The debug video gets mirror_crf + 10 (at most 51).
  int mirror_crf = 18;
  face_tracker_options tracker;
  /// Called every `progress_interval_frames` frames of a video and when a video ends.
  std::function<void(const progress_event&)> on_progress;
  int progress_interval_frames = 10;
  /// Polled between frames; returning true stops the run: unfinished videos fail with
  /// "interrupted" and leave no output.
  std::function<bool()> should_abort;
  /// Called once for each input whose outputs are all written, as soon as they are, while the
  /// rest of the batch goes on (the CLI writes a mirror job's report there, so a finished
  /// video's report does not wait for the batch). It runs on the worker thread that finished
  /// the input, which takes no task meanwhile; under isolation::process on the engine's thread
  /// that collects the workers' results, so workers done with a segment wait for it. Calls for
  /// different inputs may overlap: it must be thread-safe, and must not throw. Not called for
  /// failed inputs.
  std::function<void(const video_result&)> on_video_done;
};

/// aus: one OpenFace-layout CSV per video. mirror: S1 Face Mirror's job, in one pass: the
/// left- and right-mirrored videos, a debug video, the upright source and (when AUs are on)
/// the AU CSV of each mirrored face.
enum class job_kind { aus, mirror };

/// An aus job whose input is a still image (is_image_file: .jpg, .png...) is analysed alone, as
/// OpenFace's FaceLandmarkImg analyses it (image_analyzer: every face, OpenFace's static AU
/// models, its CSV layout: one row per face), on the same workers (threads, whatever the
/// isolation). A folder input (probe_video) is a frame folder: one video of its images (an aus
/// job's; a mirror job of one fails alone). A mirror job whose input is a still image mirrors
/// the image's widest successfully fitted face (no face: the job fails, nothing written): see
/// mirror_outputs_for.
struct video_job {
  std::filesystem::path input;
  std::filesystem::path output_csv;  // kind == aus
  job_kind kind = job_kind::aus;
  std::filesystem::path output_dir;  // kind == mirror: files named by mirror_outputs_for()
};

/// The CPUs this process may run on (its affinity mask: taskset, a Slurm job's or a
/// container's cpuset), else the machine's hardware threads; at least 1. The engine's default
/// worker count.
[[nodiscard]] int usable_cpus();

/// The name an input's outputs are named after: a file's name without its extension, a
/// folder's (a frame folder, OpenFace's -fdir) whole name, as OpenFace names them: the dots of
/// "session.2024-01-05" are no extension; ".", "frames/." and ".." are the folder they lead to
/// (from the current folder). Reads whether `input` is a folder.
[[nodiscard]] std::string input_stem(const std::filesystem::path& input);

/// S1 Face Mirror's output names for `input` in `dir`: <stem>_right_mirrored.mp4 (the
/// patient's right half and its reflection), <stem>_left_mirrored.mp4, <stem>_debug.mp4,
/// <stem>_right_mirrored.csv, <stem>_left_mirrored.csv, and <stem>_source<ext>: an exact copy of
/// an upright input, or <stem>_source.mp4 re-encoded upright when the input carries rotation.
/// The mirrored CSVs are measured on the written mirrored videos, as `facemirror aus` measures
/// any video but as one continuous track each (whatever segment_frames); the mirrored
/// videos carry the comment tag "facemirror mirrored face", from which an aus job tracks them
/// the same way, so re-analysing them gives the same CSVs byte for byte. The mirrored videos
/// themselves are encoded in fixed chunks of 240 frames (a remainder under 120 joins the last
/// chunk) whatever segment_frames says, so neither their pixels nor their AUs depend on it.
/// <stem>_head_pose.csv holds the source face's yaw per frame (frame, timestamp, success,
/// confidence, yaw_deg: the debug video's banner, mirroring_yaw_deg() of mirror.h), for the
/// report's quality section.
/// For a still image input the three "videos" are lossless PNG images (<stem>_right_mirrored.png,
/// <stem>_left_mirrored.png, <stem>_debug.png), the source is copied (`rotated` is ignored),
/// the head-pose CSV has one
/// row, and each mirrored CSV is in FaceLandmarkImg's layout with one row: the face found in that
/// mirrored image nearest the source face (numbered as `facemirror aus` on the image numbers it).
struct mirror_outputs {
  std::filesystem::path right_video, left_video, debug_video, source_video, right_csv, left_csv;
  std::filesystem::path head_pose_csv;
};
[[nodiscard]] mirror_outputs mirror_outputs_for(const std::filesystem::path& input,
                                                const std::filesystem::path& dir, bool rotated);

/// OpenFace 2.2's extra outputs of an aus job whose CSV is `output_csv` (DIR/STEM.csv), all in
/// DIR: STEM.hog (include/facemirror/output/hog_file.h), STEM_aligned/frame_det_00_NNNNNN.bmp
/// (include/facemirror/output/aligned_face_folder.h: the 112x112 similarity-aligned, masked
/// colour face the AU models see, one per frame, black where no face was tracked) and
/// STEM_of_details.txt (include/facemirror/output/of_details.h). Each appears whole or not at
/// all, when the video succeeds.
struct openface_outputs {
  std::filesystem::path hog, aligned_folder, details;
};
[[nodiscard]] openface_outputs openface_outputs_for(const std::filesystem::path& output_csv);

struct video_result {
  std::filesystem::path input;
  std::filesystem::path output_csv;
  bool ok = false;
  std::string error;  // one line, names the file, when !ok
  // !ok because the run was stopped (engine_options::should_abort) before or while it ran, not
  // for a reason of its own: a later run does it; nothing is to be said against the file.
  bool interrupted = false;
  // Frames analysed: the video's, or every frame_stride-th of them (a still image: 1).
  int64_t frames = 0;
  // Frames with a face (success 1); a still image: the faces found, its CSV's rows.
  int64_t successful_frames = 0;
  // Analysed frames decoded from damaged data (0-based, ascending; see video_reader::read()):
  // concealed ones as the decoder filled them in (as OpenFace would have read them), missing
  // ones black (success 0). Empty for an undamaged file. (Damage at the file's end fails the
  // video: that is a cut file.)
  std::vector<int64_t> concealed_frames, missing_frames;
  /// Lists the analysed frame `frame` (0-based, called in ascending order) in concealed_frames
  /// or missing_frames as its damage says (nothing for an undamaged frame).
  void note_damage(int64_t frame, frame_damage damage) {
    if (damage == frame_damage::concealed)
      concealed_frames.push_back(frame);
    else if (damage == frame_damage::missing)
      missing_frames.push_back(frame);
  }
  // The file's video streams (video_info::video_streams): above 1, the first was analysed and
  // the others not, which a user who recorded two cameras into one file may not expect.
  int video_streams = 1;
  // A part of the video that failed once (a worker process that crashed or hung, an error) and
  // was done again: one line each, naming the input, its frames and what happened. The outputs
  // are the same as without the failure; a lab may still want to know (a flaky disk, memory).
  std::vector<std::string> retried;
  double seconds = 0.0;  // wall time from its first segment to its CSV
};

/// Throws error(invalid_argument) naming what `options` asks that the engine cannot do (a
/// value out of range, outputs that do not go together), as the engine's constructor does,
/// without loading the models: a front end refuses such a command before it makes an output
/// folder or submits a batch. Pure.
void check_engine_options(const engine_options& options);

class engine {
 public:
  /// Throws as check_engine_options() does, then facemirror::error naming a model file that is
  /// missing or cannot be read.
  explicit engine(engine_options options);
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  [[nodiscard]] double model_load_seconds() const;
  [[nodiscard]] int worker_count() const;

  /// Processes every job; returns one result per job, in job order.
  [[nodiscard]] std::vector<video_result> run(const std::vector<video_job>& jobs);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// What constructing an engine does to the libraries under the analysis, for callers of the
/// per-frame classes (image_analyzer, video_session) without an engine: OpenCV's parallel_for
/// and OpenBLAS single-threaded, process-wide. The values depend on it: with its thread pool,
/// OpenBLAS splits its sums differently (a gaze vector of sample6.jpg moved by 1.6e-4 against
/// the CLI's), so a caller who wants the CLI's values, to the last printed digit, calls this
/// first. Idempotent; call it before starting threads that use those libraries.
void make_libraries_single_threaded();

}  // namespace facemirror

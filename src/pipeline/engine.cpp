#include "facemirror/pipeline/engine.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include <opencv2/core/utility.hpp>

#include "facemirror/analysis/landmark_session.h"
#include "facemirror/error.h"
#include "facemirror/io/image_reader.h"
#include "facemirror/output/aligned_face_folder.h"

#include "batch.h"
#include "executors.h"
#include "still_images.h"
#include <dlfcn.h>
#include <sched.h>

namespace facemirror {

// OpenBLAS (behind cv::gemm in Debian's OpenCV) starts a thread per core for every product and
// spins them between calls: with our own workers on every core that cost more in scheduler
// time than the products themselves (mirror job: 13.5 -> 11.0 s). It is looked up at run time
// because it is OpenCV's dependency, not ours, and may be another BLAS.
void make_libraries_single_threaded() {
  cv::setNumThreads(0);
  using set_threads_fn = void (*)(int);
  if (auto set = reinterpret_cast<set_threads_fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set(1);
}

struct engine::impl {
  engine_options options;
  std::unique_ptr<analysis_models> models;
  /// The models with OpenFace's static AU models in place of the dynamic ones, for still
  /// images (FaceLandmarkImg's) and videos with several faces (FaceLandmarkVidMulti's); made on
  /// the first batch with one.
  std::unique_ptr<analysis_models> image_models;
  double load_seconds = 0.0;
  int workers = 1;

  const analysis_models& still_image_models();
};

void check_engine_options(const engine_options& options) {
  if (options.segment_frames <= 0) {
    throw error(error_code::invalid_argument, "frames per segment must be positive, not " +
                                                  std::to_string(options.segment_frames));
  }
  if (options.warmup_frames < 0 || !(options.frame_timeout_s > 0)) {
    throw error(error_code::invalid_argument,
                "the frame timeout must be positive and the warm-up non-negative");
  }
  if (options.workers < 0)
    throw error(error_code::invalid_argument, "workers must be 0 (one per core) or more");
  if (options.mirror_crf < 0 || options.mirror_crf > 51)  // x264's range; else every video fails
    throw error(error_code::invalid_argument, "the mirrored videos' crf must be 0 to 51, not " +
                                                  std::to_string(options.mirror_crf));
  if (!std::isfinite(options.tracker.acquire_score))
    throw error(error_code::invalid_argument, "the face threshold must be a finite number");
  if ((options.write_hog || options.write_aligned_faces) && !options.compute_aus) {
    throw error(error_code::invalid_argument,
                "the HOG file and aligned faces are the AU features' own: they need AUs on");
  }
  if (const auto& a = options.aligned;
      !(std::isfinite(a.scale) && a.scale > 0) || a.size < 1 || a.size > 4096) {
    throw error(error_code::invalid_argument,
                "aligned faces need a positive scale and a size of 1 to 4096 pixels");
  }
  if (options.write_aligned_faces && !can_write_image_format(options.aligned.format)) {
    throw error(error_code::invalid_argument,
                "aligned faces: OpenCV cannot write '" + options.aligned.format + "' images");
  }
  if (options.max_faces < 1 || options.max_faces > max_tracked_faces)
    throw error(error_code::invalid_argument, "the number of faces must be 1 to " +
                                                  std::to_string(max_tracked_faces) + ", not " +
                                                  std::to_string(options.max_faces));
  if (options.frame_stride < 1)
    throw error(error_code::invalid_argument, "the frame stride must be at least 1");
  if (options.max_faces > 1 && (options.write_hog || options.write_aligned_faces)) {
    throw error(error_code::invalid_argument,
                "several faces (FaceLandmarkVidMulti's rules) write no HOG file or aligned faces");
  }
  if (options.consensus_tracks < 1 || options.consensus_tracks > max_consensus_tracks)
    throw error(error_code::invalid_argument, "the number of consensus tracks must be 1 to " +
                                                  std::to_string(max_consensus_tracks) + ", not " +
                                                  std::to_string(options.consensus_tracks));
  if (std::abs(options.tracked_start_offset_ulps) > 1000)
    throw error(error_code::invalid_argument, "a tracked start offset is at most 1000 ulps");
  if (options.consensus_tracks > 1 &&
      (options.write_hog || options.write_aligned_faces || options.max_faces > 1 ||
       options.landmarks != landmark_method::clnf)) {
    throw error(error_code::invalid_argument,
                "consensus tracks are CLNF tracks and write only the CSV of a video with one "
                "face (no HOG file, aligned faces or several faces)");
  }
  if (options.max_faces > 1 && options.landmarks != landmark_method::clnf)
    throw error(error_code::invalid_argument, "several faces need the CLNF landmarks");
  options.camera.check();
}

engine::engine(engine_options options) : impl_(std::make_unique<impl>()) {
  check_engine_options(options);
  // Without AUs the CSVs are those of OpenFace without -aus, whatever outputs.aus says: no AU
  // columns and the per-frame separator of a file its AU pass did not rewrite.
  if (!options.compute_aus)
    options.outputs.aus = false;
  impl_->options = std::move(options);
  make_libraries_single_threaded();
  const auto start = std::chrono::steady_clock::now();
  // The HOG file and aligned faces come from the AU features' pipeline, so they load it even
  // when the CSV has no AU columns (OpenFace's -hogalign/-simalign without -aus).
  const engine_options& o = impl_->options;
  const bool au_features = o.compute_aus && (o.outputs.aus || o.write_hog || o.write_aligned_faces);
  impl_->models = std::make_unique<analysis_models>(
      resolve_model_paths(impl_->options.models_dir), au_features, impl_->options.static_aus,
      impl_->options.landmarks == landmark_method::clnf);
  impl_->models->keep_aligned_faces = impl_->options.write_aligned_faces;
  const auto& aligned = impl_->options.aligned;
  if (o.write_aligned_faces && impl_->models->aus &&
      (aligned.scale != 0.7 || aligned.size != 112 || !aligned.masked)) {
    impl_->models->output_aligner = std::make_shared<const face_aligner>(
        impl_->models->aus->aligner().with_scale_and_size(aligned.scale, aligned.size));
    impl_->models->output_masked = aligned.masked;
  }
  impl_->load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  impl_->workers = impl_->options.workers > 0 ? impl_->options.workers : usable_cpus();
}

int usable_cpus() {
  // The CPUs this process may run on (taskset, a Slurm job's or a container's cpuset), not the
  // machine's: a job given 4 of 64 cores would otherwise start 64 workers on them.
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof(allowed), &allowed) == 0 && CPU_COUNT(&allowed) > 0)
    return CPU_COUNT(&allowed);
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

engine::~engine() = default;

double engine::model_load_seconds() const {
  return impl_->load_seconds;
}
int engine::worker_count() const {
  return impl_->workers;
}

const analysis_models& engine::impl::still_image_models() {
  if (!image_models) {
    image_models = std::make_unique<analysis_models>(*models);
    if (models->aus && models->aus->model_kind() != au_model_set::kind::static_only) {
      image_models->aus = au_model_set::load(resolve_model_paths(options.models_dir).au_predictors,
                                             au_model_set::kind::static_only);
      image_models->extractor = std::make_shared<const au_feature_extractor>(image_models->aus);
    }
  }
  return *image_models;
}

namespace {

/// Progress over the whole of engine::run(). Its inputs are analysed in phases, one after
/// another (still images, videos with several faces, segmented videos), and each phase counts
/// only its own frames; this puts the phases before an event's own in front of its count, adds
/// every phase to its total and gives the rate since run() began, so that batch_frames_done
/// climbs once from 0 to batch_frames_total over the run.
class run_progress {
 public:
  enum phase { images, multi_face_videos, segmented_videos, phase_count };

  explicit run_progress(std::function<void(const progress_event&)> sink) : sink_(std::move(sink)) {}

  /// The frames `p` counts to; set for every phase before the first one runs.
  void plan(phase p, int64_t frames) { planned_[p] = frames; }

  /// The on_progress for phase `p`'s events (empty without a sink). `job_index`, if given, maps
  /// the phase's video indices to run()'s jobs; it must outlive the phase.
  [[nodiscard]] std::function<void(const progress_event&)> of(
      phase p, const std::vector<size_t>* job_index = nullptr) {
    if (!sink_)
      return {};
    return [this, p, job_index](const progress_event& event) {
      progress_event whole = event;
      if (job_index)
        whole.video = (*job_index)[event.video];
      int64_t before = 0, total = 0;
      for (int k = 0; k < phase_count; ++k) {
        before += k < p ? planned_[k] : 0;
        total += planned_[k];
      }
      whole.batch_frames_done = before + event.batch_frames_done;
      whole.batch_frames_total = total;
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
      whole.fps = seconds > 0 ? static_cast<double>(whole.batch_frames_done) / seconds : 0.0;
      sink_(whole);
    };
  }

 private:
  std::function<void(const progress_event&)> sink_;
  std::array<int64_t, phase_count> planned_{};
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace

std::vector<video_result> engine::run(const std::vector<video_job>& jobs) {
  // Still images are analysed (or mirrored) alone, by FaceLandmarkImg's rules; videos with
  // several faces whole, by FaceLandmarkVidMulti's; the rest are videos cut into segments.
  std::vector<video_job> videos;
  std::vector<size_t> video_index, images, multi_face;
  std::vector<video_result> results(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    std::error_code ec;
    if (jobs[i].kind == job_kind::mirror && std::filesystem::is_directory(jobs[i].input, ec)) {
      // Its mirrored videos would have the first image's size, which the others need not have.
      results[i].input = jobs[i].input;
      results[i].error = "'" + jobs[i].input.string() +
                         "': a frame folder cannot be mirrored (the mirror job takes video "
                         "files and photographs)";
    } else if (is_image_file(jobs[i].input)) {
      images.push_back(i);
    } else if (jobs[i].kind == job_kind::aus && impl_->options.max_faces > 1) {
      multi_face.push_back(i);
    } else {
      videos.push_back(jobs[i]);
      video_index.push_back(i);
    }
  }
  // Every phase's frames are counted (the videos probed) before the first phase runs.
  run_progress progress(impl_->options.on_progress);
  progress.plan(run_progress::images, static_cast<int64_t>(images.size()));
  progress.plan(
      run_progress::multi_face_videos,
      detail::count_multi_face_frames(jobs, multi_face, results, impl_->options.frame_stride));
  engine_options video_options = impl_->options;
  video_options.on_progress = progress.of(run_progress::segmented_videos, &video_index);
  std::optional<detail::batch> work;
  if (!videos.empty()) {
    work.emplace(videos, video_options, *impl_->models);
    progress.plan(run_progress::segmented_videos, work->progress_total());
  }

  engine_options phase_options = impl_->options;
  if (!images.empty()) {
    phase_options.on_progress = progress.of(run_progress::images);
    detail::run_still_images(jobs, images, impl_->still_image_models(), phase_options,
                             impl_->workers, results);
  }
  if (!multi_face.empty()) {
    phase_options.on_progress = progress.of(run_progress::multi_face_videos);
    detail::run_multi_face_videos(jobs, multi_face, impl_->still_image_models(), phase_options,
                                  impl_->workers, results);
  }
  if (work) {
    detail::run_context context{*work, *impl_->models, video_options};
    // More workers than segments would only sit idle.
    const int workers =
        std::max(1, std::min<int>(impl_->workers, static_cast<int>(work->initial_tasks())));
    if (impl_->options.mode == isolation::process) {
      detail::run_in_processes(context, workers);
    } else {
      detail::run_in_threads(context, workers);
    }
    std::vector<video_result> video_results = work->results();
    for (size_t k = 0; k < videos.size(); ++k)
      results[video_index[k]] = std::move(video_results[k]);
  }
  return results;
}

}  // namespace facemirror

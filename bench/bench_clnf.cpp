// Micro-benchmarks of the CLNF landmark fit, the largest share of every job's time: the CCNF
// response maps alone (per search window) and whole tracked fits. Frames are the first of
// OpenFace's default.wmv sample; the models come from the usual models directory.
//
//   build/release/bench/bench_clnf [--benchmark_repetitions=5]
//   FACEMIRROR_SHARED_DIR (default ../shared next to the source tree), FACEMIRROR_MODELS.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <vector>

#include <benchmark/benchmark.h>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "facemirror/detect/mtcnn_detector.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/landmarks/clnf.h"
#include "facemirror/landmarks/shape_alignment.h"
#include "facemirror/models/model_paths.h"

#include "landmarks/clnf_internal.h"

namespace fm = facemirror;

namespace {

constexpr int frame_count = 20;

struct fixture {
  std::shared_ptr<const fm::clnf_model> model;
  std::vector<cv::Mat> frames;  // 8-bit BGR
  cv::Rect2d face;              // MTCNN's box on the first frame
};

std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("FACEMIRROR_SHARED_DIR"); env != nullptr && *env != '\0')
    return env;
  return std::filesystem::path(FACEMIRROR_BENCH_SOURCE_DIR) / ".." / "shared";
}

const fixture& data() {
  static const fixture f = [] {
    cv::setNumThreads(0);  // as the engine runs it: one thread per worker, no OpenCV pool
    fixture d;
    const fm::model_paths models = fm::resolve_model_paths(std::nullopt);
    d.model = fm::clnf_model::load(models.clnf);
    fm::video_reader reader(fm::probe_video(shared_dir() / "videos/openface-samples/default.wmv"));
    for (int i = 0; i < frame_count; ++i)
      d.frames.push_back(reader.read()->bgr.clone());
    const auto faces = fm::mtcnn_detector::load(models.mtcnn.string()).detect(d.frames[0]);
    if (faces.empty())
      throw std::runtime_error("no face in the first frame of default.wmv");
    d.face = faces[0].box;
    return d;
  }();
  return f;
}

// One frame's response maps of the main model's patch scale `range(0)` (0 coarsest), with the
// search window tracking and detection use there, around the fitted shape.
void response_maps(benchmark::State& state) {
  const fixture& d = data();
  const int scale = static_cast<int>(state.range(0));
  const int window = fm::clnf_fit_options::detection().window_sizes.at(scale);
  fm::clnf_tracker tracker(d.model);
  const fm::clnf_fit_result fit = tracker.start_in_box(d.frames[0], d.face);
  const auto& main = d.model->internals().main;
  cv::Mat grey;
  cv::cvtColor(d.frames[0], grey, cv::COLOR_BGR2GRAY);
  cv::Mat_<float> image;
  grey.convertTo(image, CV_32F);
  const std::vector<cv::Point2d> shape(fit.landmarks.begin(), fit.landmarks.end());
  fm::pdm_params reference = fit.params;
  reference.scale = main.scales.at(scale).scale;
  reference.rx = reference.ry = reference.rz = reference.tx = reference.ty = 0;
  const cv::Matx22d to_ref = fm::align_shapes_with_scale(shape, main.pdm.project_points(reference));
  std::vector<std::vector<float>> responses;
  for (auto _ : state) {
    fm::detail::patch_responses(image, shape, to_ref, main.scales[scale], 0, window, responses);
    benchmark::DoNotOptimize(responses.data());
  }
}
BENCHMARK(response_maps)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);

// A start from the detected box (all scales, three rotations) and tracked fits on the next
// frames, as a video's first segment does.
void tracked_fits(benchmark::State& state) {
  const fixture& d = data();
  for (auto _ : state) {
    fm::clnf_tracker tracker(d.model);
    benchmark::DoNotOptimize(tracker.start_in_box(d.frames[0], d.face));
    for (int i = 1; i < frame_count; ++i)
      benchmark::DoNotOptimize(tracker.follow(d.frames[i]));
  }
  state.SetItemsProcessed(state.iterations() * frame_count);
}
BENCHMARK(tracked_fits)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

#pragma once
// The still images of a batch, each analysed alone on the engine's workers (threads, whatever
// the isolation):
//   - aus jobs as OpenFace's FaceLandmarkImg analyses an image (every face, static AU models),
//     its CSV written atomically;
//   - mirror jobs as S1 mirrors a video frame: the image's main face (the widest successful
//     fit) reflected across its midline into two lossless PNG images, a debug image, a copy of
//     the source, a one-row head-pose CSV and, with AUs on, each mirrored image's CSV in
//     FaceLandmarkImg's layout holding the mirrored face's row. Every output is complete or
//     absent; an image without a face fails alone.

#include <vector>

#include "facemirror/analysis/landmark_session.h"
#include "facemirror/pipeline/engine.h"

namespace facemirror::detail {

/// Runs jobs[i] (a still image, aus or mirror) for every i in `images` on `workers` threads and
/// fills results[i]. `models` must be the still-image models (static AUs, or none). An image
/// that cannot be read or written fails alone, with the reason; should_abort stops before the
/// next image (unfinished ones fail as "interrupted"). Progress: one event per image ("done" or
/// "failed", 1 of 1 frame).
void run_still_images(const std::vector<video_job>& jobs, const std::vector<size_t>& images,
                      const analysis_models& models, const engine_options& options, int workers,
                      std::vector<video_result>& results);

}  // namespace facemirror::detail

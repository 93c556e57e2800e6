#pragma once
// The still images of a batch: each analysed alone, as OpenFace's FaceLandmarkImg analyses it
// (every face, static AU models), its CSV written atomically, on the engine's workers.

#include <vector>

#include "facemirror/analysis/landmark_session.h"
#include "facemirror/pipeline/engine.h"

namespace facemirror::detail {

/// Analyses jobs[i] (a still image) for every i in `images` on `workers` threads and fills
/// results[i]. `models` must be the still-image models (static AUs, or none). An image that
/// cannot be read or written fails alone, with the reason; should_abort stops before the next
/// image (unfinished ones fail as "interrupted"). Progress: one event per image ("done" or
/// "failed", 1 of 1 frame).
void run_still_images(const std::vector<video_job>& jobs, const std::vector<size_t>& images,
                      const analysis_models& models, const engine_options& options, int workers,
                      std::vector<video_result>& results);

}  // namespace facemirror::detail

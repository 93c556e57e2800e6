#pragma once
// The <stem>_of_details.txt an aus job writes beside a CSV (engine_options::write_of_details,
// or with the HOG file or aligned faces), whichever path the input takes: segmented video,
// still image, video of several faces.

#include "facemirror/landmarks/pdm.h"
#include "facemirror/output/of_details.h"
#include "facemirror/pipeline/engine.h"

namespace facemirror::detail {

/// What OpenFace lists for `job`: its input, the intrinsics used (options.camera, else
/// OpenFace's guess for a `width` x `height` frame), the files written (`hog`, `aligned`:
/// whether those were) and the CSV's column groups; `csv` false: no CSV was written (a faceless
/// input under engine_options::skip_faceless_csv), so neither those lines.
[[nodiscard]] of_details openface_details(const video_job& job, const engine_options& options,
                                          int width, int height, bool hog, bool aligned,
                                          bool csv = true);

/// Writes it whole (atomic_file) to openface_outputs_for(job.output_csv).details.
void write_openface_details(const of_details& details, const video_job& job);

}  // namespace facemirror::detail

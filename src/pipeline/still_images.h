#pragma once
// The inputs of a batch that are analysed whole, each on one of the engine's worker threads
// (whatever the isolation), every output written atomically:
//   - still images of aus jobs as OpenFace's FaceLandmarkImg analyses an image (every face,
//     static AU models);
//   - still images of mirror jobs as S1 mirrors a video frame: the image's main face (the
//     widest successful fit) reflected across its midline into two lossless PNG images, a debug
//     image, a copy of the source, a one-row head-pose CSV and, with AUs on, each mirrored
//     image's CSV in FaceLandmarkImg's layout holding the mirrored face's row. Every output is
//     complete or absent; an image without a face fails alone;
//   - with engine_options::max_faces above 1, aus jobs' videos, whose faces are followed as
//     OpenFace's FaceLandmarkVidMulti follows them (multi_face_session: its slots' tracks run
//     through the whole video, so a video is one unit of work, and its bytes depend on nothing
//     but the video).

#include <vector>

#include "facemirror/analysis/landmark_session.h"
#include "facemirror/pipeline/engine.h"

namespace facemirror::detail {

/// Runs jobs[i] (a still image, aus or mirror) for every i in `images` on `workers` threads and
/// fills results[i]. `models` must be the still-image models (static AUs, or none). An image
/// that cannot be read or written fails alone, with the reason; should_abort stops before the
/// next image (unfinished ones fail as "interrupted"). Progress: one event per image ("done" or
/// "failed", 1 of 1 frame). The progress events of both functions carry batch_frames_done over
/// this call's inputs only, and no batch_frames_total or rate: the engine sets those over its
/// whole run (count_multi_face_frames gives it this phase's total for videos).
void run_still_images(const std::vector<video_job>& jobs, const std::vector<size_t>& images,
                      const analysis_models& models, const engine_options& options, int workers,
                      std::vector<video_result>& results);

/// Probes jobs[i] for every i in `videos` into results[i].frames, the frames analysed with
/// `frame_stride` (0 where it cannot be probed: the video fails, with its reason, when
/// analysed); returns the frames their progress events count to (batch_frames_total; one for a
/// video that could not be probed).
int64_t count_multi_face_frames(const std::vector<video_job>& jobs,
                                const std::vector<size_t>& videos,
                                std::vector<video_result>& results, int frame_stride);

/// Analyses jobs[i] (a video or frame folder, kind aus) for every i in `videos` with up to
/// options.max_faces faces (multi_face_session) on `workers` threads, one video per thread at a
/// time, and fills results[i] (frames: the video's analysed frames, every
/// options.frame_stride-th; successful_frames: those with at least one successful face).
/// `models` as for run_still_images, with CLNF and MTCNN. A video fails alone; should_abort
/// stops between frames (the video fails as "interrupted", no CSV). Call
/// count_multi_face_frames first. Progress: every
/// options.progress_interval_frames frames ("analysing") and at the end ("done" or "failed").
void run_multi_face_videos(const std::vector<video_job>& jobs, const std::vector<size_t>& videos,
                           const analysis_models& models, const engine_options& options,
                           int workers, std::vector<video_result>& results);

}  // namespace facemirror::detail

#pragma once
// Turning the command line's INPUT... (files and folders) into the engine's jobs.

#include <filesystem>
#include <string>
#include <vector>

#include "facemirror/pipeline/engine.h"

namespace facemirror::cli {

struct input_plan {
  std::vector<video_job> jobs;
  std::vector<std::string> rejected;  // one line per input that cannot become a job
};

/// True for the file names plan_inputs() takes as videos (by extension).
[[nodiscard]] bool is_video_file(const std::filesystem::path& file);

/// Expands folders to the video files directly inside them (sorted by name) and maps each
/// video to OUTDIR/<stem>.csv. With `frame_folders`, a folder is instead one video whose frames
/// are its image files (OpenFace's -fdir), written to OUTDIR/<folder name>.csv. Two inputs with
/// the same stem would overwrite each other: the later one is rejected.
[[nodiscard]] input_plan plan_inputs(const std::vector<std::string>& inputs,
                                     const std::filesystem::path& output_dir,
                                     bool frame_folders = false);

}  // namespace facemirror::cli

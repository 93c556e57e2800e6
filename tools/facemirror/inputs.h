#pragma once
// Turning the command line's INPUT... (files and folders) into the engine's jobs.

#include <filesystem>
#include <string>
#include <vector>

#include "facemirror/pipeline/engine.h"

namespace facemirror::cli {

/// An input that cannot become a job, and why.
struct rejected_input {
  std::string input;
  std::string why;
  /// "'INPUT': WHY", the one line said of it.
  [[nodiscard]] std::string line() const { return "'" + input + "': " + why; }
};

struct input_plan {
  std::vector<video_job> jobs;
  std::vector<rejected_input> rejected;
  /// Said, not refused: a folder given whose subfolders hold videos, left out (folders are not
  /// searched further), one line each.
  std::vector<std::string> notes;
};

/// The path two spellings of one file share ("in/./a.mp4", "x/../in/a.mp4"): its canonical
/// path where it can be resolved, else its lexically normal form.
[[nodiscard]] std::filesystem::path same_file_key(const std::filesystem::path& file);

/// Expands folders to the video files directly inside them (is_video_file, sorted by name) and maps
/// each video to OUTDIR/<stem>.csv. With `frame_folders`, a folder is instead one video whose
/// frames are its image files (OpenFace's -fdir), written to OUTDIR/<folder name>.csv. A file given
/// twice under one name (two spellings of its path, or by name and in its folder) is one job; a
/// link of another name to it is a job of that name; two files with the same stem would
/// overwrite each other: the later one is rejected. `output_names[i]` (OpenFace's -of, without
/// extension; may hold a folder part under OUTDIR) names the outputs of the file or frame
/// folder `inputs[i]` instead of its stem: two files of one stem named apart are two jobs. A
/// file given again under another -of name is rejected (a file is analysed once per run).
[[nodiscard]] input_plan plan_inputs(const std::vector<std::string>& inputs,
                                     const std::filesystem::path& output_dir,
                                     bool frame_folders = false,
                                     const std::vector<std::string>& output_names = {});

}  // namespace facemirror::cli

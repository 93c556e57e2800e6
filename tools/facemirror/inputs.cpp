#include "inputs.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace facemirror::cli {
namespace {

bool looks_like_video(const std::filesystem::path& file) {
  static const std::set<std::string> extensions = {".mp4", ".m4v",  ".mov", ".avi",  ".mkv",
                                                   ".wmv", ".webm", ".mpg", ".mpeg", ".flv"};
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extensions.count(ext) > 0;
}

}  // namespace

bool is_video_file(const std::filesystem::path& file) {
  return looks_like_video(file);
}

input_plan plan_inputs(const std::vector<std::string>& inputs,
                       const std::filesystem::path& output_dir, bool frame_folders) {
  input_plan plan;
  std::vector<std::filesystem::path> files;
  for (const auto& input : inputs) {
    std::filesystem::path path(input);
    std::error_code ec;
    if (frame_folders && std::filesystem::is_directory(path, ec)) {
      files.push_back(path.has_filename() ? path : path.parent_path());  // "dir/" names dir
    } else if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
        if (entry.is_regular_file() && looks_like_video(entry.path()))
          found.push_back(entry.path());
      }
      std::sort(found.begin(), found.end());
      if (found.empty())
        plan.rejected.push_back("'" + input + "': folder holds no video files");
      files.insert(files.end(), found.begin(), found.end());
    } else {
      // Missing or unreadable files still become jobs: the engine reports why, per file.
      files.push_back(path);
    }
  }
  std::set<std::string> stems;
  for (const auto& file : files) {
    const std::string stem = file.stem().string();
    if (!stems.insert(stem).second) {
      plan.rejected.push_back("'" + file.string() + "': another input already writes " + stem +
                              ".csv");
      continue;
    }
    video_job job;
    job.input = file;
    job.output_csv = output_dir / (stem + ".csv");
    plan.jobs.push_back(job);
  }
  return plan;
}

}  // namespace facemirror::cli

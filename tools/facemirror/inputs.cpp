#include "inputs.h"

#include <algorithm>
#include <map>
#include <set>

#include "facemirror/io/image_reader.h"
#include "facemirror/io/video_reader.h"

namespace facemirror::cli {

std::filesystem::path same_file_key(const std::filesystem::path& file) {
  std::error_code ec;
  const std::filesystem::path canonical = std::filesystem::weakly_canonical(file, ec);
  return ec ? file.lexically_normal() : canonical;
}

namespace {

// Whether `folder` holds a video file directly inside it.
bool holds_a_video(const std::filesystem::path& folder) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    if (!is_hidden_file(entry.path()) && entry.is_regular_file(ec) && is_video_file(entry.path()))
      return true;
  }
  return false;
}

}  // namespace

input_plan plan_inputs(const std::vector<std::string>& inputs,
                       const std::filesystem::path& output_dir, bool frame_folders,
                       const std::vector<std::string>& output_names) {
  input_plan plan;
  // Each file, and the name its outputs take.
  std::vector<std::pair<std::filesystem::path, std::string>> files;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string& input = inputs[i];
    std::filesystem::path path(input);
    std::error_code ec;
    const auto named = [&](const std::filesystem::path& file) {
      return std::make_pair(file, i < output_names.size() ? output_names[i] : input_stem(file));
    };
    if (frame_folders && std::filesystem::is_directory(path, ec)) {
      files.push_back(named(path.has_filename() ? path : path.parent_path()));  // "dir/" is dir
    } else if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::filesystem::path> found;
      bool images = false, folders = false;
      size_t folders_with_videos = 0, image_files = 0;
      std::filesystem::directory_iterator listing(path, ec);
      if (ec) {  // a folder that cannot be read (permissions) is not an empty one
        plan.rejected.push_back({input, "cannot list the folder: " + ec.message()});
        continue;
      }
      for (const auto& entry : listing) {
        if (is_hidden_file(entry.path()))  // macOS's ._NAME companions, .DS_Store, ...
          continue;
        // An entry whose status cannot be read (a link that loops) is no video: ec, not a throw
        // that stopped the whole batch.
        std::error_code entry_ec;
        const bool regular = entry.is_regular_file(entry_ec);
        const bool directory = entry.is_directory(entry_ec);
        if (regular && is_video_file(entry.path()))
          found.push_back(entry.path());
        else if (is_video_file(entry.path()))  // a dangling or looping link, a pipe, a folder
          plan.notes.push_back("'" + entry.path().string() +
                               "': named as a video but not a file that can be read, not taken");
        images = images || (regular && is_image_file(entry.path()));
        image_files += regular && is_image_file(entry.path()) ? 1 : 0;
        folders = folders || directory;
        if (directory)
          folders_with_videos += holds_a_video(entry.path()) ? 1 : 0;
      }
      std::sort(found.begin(), found.end());
      // A cohort of a folder per patient beside a few loose videos: the loose ones are taken,
      // and the patients' folders, left out, are said to be (they once went unnoticed).
      // So are photographs among its videos: a folder's images are a video's frames or photos
      // given by name, never taken from a folder of videos.
      if (!found.empty() && image_files > 0)
        plan.notes.push_back(
            "'" + input + "': " + std::to_string(image_files) +
            (image_files == 1 ? " image" : " images") +
            " beside its videos, not taken (photographs are given by name, e.g. '" +
            (std::filesystem::path(input) / "*.jpg").string() + "')");
      if (!found.empty() && folders_with_videos > 0)
        plan.notes.push_back(
            "'" + input + "': " + std::to_string(folders_with_videos) +
            (folders_with_videos == 1 ? " subfolder holds" : " subfolders hold") +
            " videos, not taken (folders are not searched further: give them too, e.g. '" +
            (std::filesystem::path(input) / "*").string() + "/')");
      // What the folder does hold says what was meant: a frame folder, photographs, or
      // videos one level down (folders are not searched further).
      if (found.empty())
        plan.rejected.push_back(
            {input,
             std::string("folder holds no video files") +
                 (images ? " (its images: one video of frames, `facemirror aus --frames`, or "
                           "photographs given by name, e.g. " +
                               input + "/*.jpg)"
                  : folders ? " (its subfolders are not searched: give them)"
                            : "")});
      for (const auto& file : found)
        files.push_back(std::make_pair(file, input_stem(file)));
    } else {
      // Missing or unreadable files still become jobs: the engine reports why, per file.
      files.push_back(named(path));
    }
  }
  std::map<std::string, std::filesystem::path> first_of_stem;
  std::set<std::pair<std::filesystem::path, std::string>> seen;
  std::set<std::filesystem::path> analysed;
  for (const auto& [file, stem] : files) {
    // A file given twice under one name (by two spellings, or by name and in its folder) is one
    // job. Under another name (links made to de-identify a cohort) it is that name's job.
    if (!seen.emplace(same_file_key(file), stem).second)
      continue;
    // Said with the other input, so that the user knows which two to rename, and without an
    // output's name: the mirror job's outputs are <stem>_left_mirrored.* and the rest.
    if (const auto [first, added] = first_of_stem.emplace(stem, file); !added) {
      plan.rejected.push_back({file.string(), "the same name as '" + first->second.string() +
                                                  "' (" + stem +
                                                  "): their outputs would overwrite each other"});
      continue;
    }
    // One path under two -of names: the run's records and progress follow inputs by path.
    if (!analysed.insert(file.lexically_normal()).second) {
      plan.rejected.push_back(
          {file.string(), "given again under the name " + stem +
                              ": a file is analysed once per run (run it again for that name)"});
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

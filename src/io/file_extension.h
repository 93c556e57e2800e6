#pragma once
// Whether a file's extension, in any case, is one of a list (lower case, with the dot): how
// is_video_file and is_image_file sort a folder's files.

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

namespace facemirror::detail {

inline bool has_extension_in(const std::filesystem::path& file,
                             const std::vector<std::string>& extensions) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(extensions.begin(), extensions.end(), ext) != extensions.end();
}

}  // namespace facemirror::detail

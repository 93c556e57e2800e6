#include "facemirror/pipeline/input_fingerprint.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <vector>

#include "facemirror/io/image_reader.h"
#include "facemirror/io/video_reader.h"

#include "models/sha256.h"

namespace facemirror {

namespace fs = std::filesystem;

namespace {

// The frames only (the image files probe_video reads): a run's own outputs written into the
// folder (`aus --frames F -o F`) or a viewer's .DS_Store are not the video.
std::string folder_fingerprint(const fs::path& folder) {
  std::vector<std::string> lines;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    std::error_code entry_ec;  // what cannot be read is no frame (the contract: no throw)
    if (!entry.is_regular_file(entry_ec) || !is_image_file(entry.path()) ||
        is_hidden_file(entry.path()))
      continue;
    const auto written = std::chrono::duration_cast<std::chrono::nanoseconds>(
        entry.last_write_time(entry_ec).time_since_epoch());
    lines.push_back(entry.path().filename().string() + " " +
                    std::to_string(entry.file_size(entry_ec)) + " " +
                    std::to_string(written.count()));
  }
  if (ec)  // a folder that cannot be listed matches no fingerprint
    return {};
  std::sort(lines.begin(), lines.end());
  std::string listing;
  for (const auto& line : lines)
    listing += line + "\n";
  return "files " + std::to_string(lines.size()) + " sha256 " + detail::sha256_hex(listing);
}

std::string file_fingerprint(const fs::path& file) {
  constexpr std::uintmax_t sampled = 1 << 20;
  const std::uintmax_t size = fs::file_size(file);
  std::string bytes(static_cast<size_t>(std::min(size, 2 * sampled)), '\0');
  const size_t head = static_cast<size_t>(std::min(size, sampled));
  std::ifstream in(file, std::ios::binary);
  in.read(bytes.data(), static_cast<std::streamsize>(head));
  if (bytes.size() > head) {
    in.seekg(static_cast<std::streamoff>(size - (bytes.size() - head)));
    in.read(bytes.data() + head, static_cast<std::streamsize>(bytes.size() - head));
  }
  if (!in)
    return {};
  return "size " + std::to_string(size) + " sha256 " + detail::sha256_hex(bytes);
}

}  // namespace

std::string input_fingerprint(const fs::path& input) {
  try {
    return fs::is_directory(input) ? folder_fingerprint(input) : file_fingerprint(input);
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace facemirror

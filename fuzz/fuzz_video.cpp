// probe_video() and video_reader on small mutated video files: the frame table, rotation
// metadata, sequential decoding and seeking. Checks video_reader.h's promise that a reader
// never yields fewer frames than the table counts without an error, and yields them in order.
#include <algorithm>

#include "facemirror/io/video_reader.h"

#include "fuzz_support.h"

namespace {

// Beyond these a mutated header only makes the run slow (the seeds are tiny videos).
constexpr int64_t max_pixels = 640 * 480;
constexpr int64_t max_decoded_frames = 64;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace facemirror;
  return fuzz::parse_or_reject([&] {
    const video_info info = probe_video(fuzz::write_input(data, size, "video.mp4"));
    const int64_t n = info.frame_count();
    fuzz::check(n > 0 && info.width >= 0 && info.height >= 0 && info.rotation_deg % 90 == 0 &&
                static_cast<int64_t>(info.keyframe_indices.size()) <= n);
    if (static_cast<int64_t>(info.width) * info.height > max_pixels)
      return;
    video_reader reader(info);
    const int64_t sequential = std::min(n, max_decoded_frames);
    for (int64_t i = 0; i < sequential; ++i) {
      const auto frame = reader.read();
      fuzz::check(frame.has_value() && frame->index == i && frame->bgr.type() == CV_8UC3);
    }
    if (n <= max_decoded_frames)
      fuzz::check(!reader.read().has_value());
    for (const int64_t target : {n / 2, n - 1}) {
      reader.seek(target);
      const auto frame = reader.read();
      fuzz::check(frame.has_value() && frame->index == target);
    }
    reader.seek(n);
    fuzz::check(!reader.read().has_value());
  });
}

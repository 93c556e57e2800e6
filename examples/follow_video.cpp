// One video followed frame by frame on this thread, then its AUs as OpenFace writes them.
//   usage: follow_video MODELS_DIR VIDEO
#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

#include "facemirror/analysis/video_session.h"
#include "facemirror/error.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/models/model_paths.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MODELS_DIR VIDEO\n", argv[0]);
    return 2;
  }
  try {
    auto models = std::make_shared<const facemirror::analysis_models>(
        facemirror::resolve_model_paths(argv[1]), /*compute_aus=*/true, /*static_aus=*/false,
        /*use_clnf=*/true);
    facemirror::video_session session(models);
    facemirror::video_reader reader(facemirror::probe_video(argv[2]));
    std::vector<facemirror::frame_record> frames;
    while (auto frame = reader.read())
      frames.push_back(session.track(frame->bgr, frame->timestamp_s));
    // The AUs need the whole video (person-specific median, post-processing).
    const std::vector<facemirror::au_values> aus = session.finish();
    int found = 0;
    double smile = 0;
    for (size_t i = 0; i < frames.size(); ++i) {
      found += frames[i].success;
      smile = std::max(smile, aus[i].intensity.at(8));  // AU12, lip corner puller
    }
    std::printf("%zu frames, face found on %d, strongest smile (AU12) %.2f\n", frames.size(), found,
                smile);
  } catch (const facemirror::error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}

// au_summary VIDEO OUTPUT.csv [MODELS_DIR]
//
// The smallest use of the installed library: one `aus` job through facemirror::engine, then a
// one-line summary. The CSV is the one `facemirror aus VIDEO -o DIR` writes, byte for byte.

#include <cstdio>
#include <exception>
#include <optional>

#include <facemirror/pipeline/engine.h>
#include <facemirror/version.h>

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s VIDEO OUTPUT.csv [MODELS_DIR]\n", argv[0]);
    return 2;
  }
  try {
    facemirror::engine_options options;
    if (argc == 4)
      options.models_dir = argv[3];
    options.on_progress = [](const facemirror::progress_event& event) {
      if (event.stage == "done")
        std::fprintf(stderr, "%s: %lld frames\n", event.input.c_str(),
                     static_cast<long long>(event.frames_done));
    };
    facemirror::engine engine(options);

    facemirror::video_job job;
    job.input = argv[1];
    job.output_csv = argv[2];
    const facemirror::video_result result = engine.run({job}).front();
    if (!result.ok) {
      std::fprintf(stderr, "au_summary: %s\n", result.error.c_str());
      return 1;
    }
    std::printf("facemirror %s: %s -> %s: %lld frames, %lld with a face\n", facemirror::version(),
                result.input.c_str(), result.output_csv.c_str(),
                static_cast<long long>(result.frames),
                static_cast<long long>(result.successful_frames));
    return 0;
  } catch (const std::exception& e) {  // facemirror::error: models missing or malformed
    std::fprintf(stderr, "au_summary: %s\n", e.what());
    return 1;
  }
}

// Every face in a photograph: landmarks, head pose and AU intensities, as FaceLandmarkImg
// measures them.   usage: analyse_image MODELS_DIR IMAGE
#include <cstdio>
#include <memory>

#include "facemirror/analysis/image_analyzer.h"
#include "facemirror/error.h"
#include "facemirror/io/image_reader.h"
#include "facemirror/models/model_paths.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MODELS_DIR IMAGE\n", argv[0]);
    return 2;
  }
  try {
    // Still images take OpenFace's static AU models.
    auto models = std::make_shared<const facemirror::analysis_models>(
        facemirror::resolve_model_paths(argv[1]), /*compute_aus=*/true, /*static_aus=*/true,
        /*use_clnf=*/true);
    const facemirror::image_analyzer analyzer(models);
    const auto faces = analyzer.analyze(facemirror::read_image(argv[2]));
    std::printf("%zu face(s)\n", faces.size());
    for (const facemirror::frame_record& face : faces) {
      std::printf("face %lld: confidence %.3f, nose tip (%.1f, %.1f) px, yaw %.3f rad, AU12 %.2f\n",
                  static_cast<long long>(face.index), face.confidence, face.landmarks[30].x,
                  face.landmarks[30].y, face.pose.ry, face.au_intensity.at(8));
    }
  } catch (const facemirror::error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}

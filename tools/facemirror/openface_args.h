#pragma once
// `facemirror openface`, `facemirror openface-img` and `facemirror openface-multi`: OpenFace
// 2.2's own command lines (FeatureExtraction's, FaceLandmarkImg's and FaceLandmarkVidMulti's
// single-dash flags), translated into the options of `facemirror aus`, so a script that ran
// OpenFace only swaps the program name.
//
// The rule for the two programs: `openface` is FeatureExtraction (-f: videos, -fdir: a folder
// of frames analysed as one video); `openface-img` is FaceLandmarkImg (-f: images, -fdir: a
// folder whose every image is analysed alone, every face in it, in FaceLandmarkImg's layout);
// `openface-multi` is FaceLandmarkVidMulti (FeatureExtraction's inputs, up to 4 faces each:
// aus --max-faces 4; it writes no HOG file or aligned faces).
//
// Flags are sorted into four kinds (openface_usage() lists them):
// - mapped: inputs, output folder and name, the output selectors, -au_static, -hogalign,
//   -simalign, -fx -fy -cx -cy; facemirror's own --models, --workers and (openface only)
//   --consensus;
// - accepted and ignored with a note: those that change no output of facemirror's (display
//   windows, -q, the default CLNF model named by -mloc, the defaults of -simscale/-simsize);
// - refused (exit 2, naming the flag and why): OpenFace flags whose output facemirror cannot
//   give (tracked video, unmasked or grey aligned faces, other landmark models or fitting
//   settings, webcams);
// - unknown: anything else (exit 2, naming the flag).

#include <stdexcept>
#include <string>
#include <vector>

#include "commands.h"

namespace facemirror::cli {

enum class openface_program {
  feature_extraction,       // facemirror openface
  face_landmark_img,        // facemirror openface-img
  face_landmark_vid_multi,  // facemirror openface-multi: FeatureExtraction's inputs, 4 faces
};

/// A command line facemirror cannot honour; what() names the flag or argument and the reason.
/// The CLI prints it and exits with status 2.
struct openface_usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct openface_command {
  run_options options;             // for cli::run(options, job_kind::aus)
  std::vector<std::string> notes;  // one line per flag ignored or output not written
  bool help = false;               // -h/--help: print openface_usage() and nothing else
};

/// Translates the arguments that follow the subcommand. Inputs are checked only as far as the
/// program's rules need (-f of a folder, -fdir of a missing folder, openface-img's -f of a
/// non-image are usage errors); everything else about an input is the engine's to report.
/// Throws openface_usage_error. Reads the filesystem (folders of -fdir), nothing else.
[[nodiscard]] openface_command parse_openface_args(const std::vector<std::string>& args,
                                                   openface_program program);

/// The subcommand's name: "openface", "openface-img" or "openface-multi".
[[nodiscard]] std::string openface_subcommand(openface_program program);

/// The subcommand's --help text: every flag it takes, ignores or refuses.
[[nodiscard]] std::string openface_usage(openface_program program);

}  // namespace facemirror::cli

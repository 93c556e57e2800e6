#pragma once
// Where the model files live, and the check that they are all there before any work starts.
//
// The OpenFace 2.2 model tree (AU_predictors/, model/) is never shipped with facemirror: it is
// provisioned into a models directory (scripts/fetch_models.sh, checksum-verified) and found
// here. dlib's 68-point landmark model comes from Debian's libdlib-data.

#include <filesystem>
#include <optional>
#include <string>

namespace facemirror {

struct model_paths {
  std::filesystem::path root;            // the models directory
  std::filesystem::path au_predictors;   // <root>/AU_predictors
  std::filesystem::path pdm;             // <root>/AU_predictors/In-the-wild_aligned_PDM_68.txt
  std::filesystem::path dlib_landmarks;  // shape_predictor_68_face_landmarks.dat
  std::filesystem::path clnf;            // <root>/model/main_clnf_general.txt
  std::filesystem::path validator;       // <root>/model/detection_validation/validator_cnn.txt
  std::filesystem::path mtcnn;           // <root>/model/mtcnn_detector (a folder)
};

/// The models directory used when none is given: $FACEMIRROR_MODELS, else
/// ${XDG_DATA_HOME:-$HOME/.local/share}/facemirror/models.
[[nodiscard]] std::filesystem::path default_models_dir();

/// Where the script that fills a models folder is, for messages to a user: fetch_models.sh
/// under the installation's share/facemirror/ (the path this library was configured with),
/// scripts/ in a source checkout, or the Python package's folder of a wheel.
[[nodiscard]] std::string fetch_models_hint();

/// Resolves and checks every file the AU pipeline needs. `dir` overrides the default.
/// The dlib model is taken from <root>/shape_predictor_68_face_landmarks.dat when present,
/// else from Debian's /usr/share/dlib/. Throws facemirror::error(model_format) naming the
/// first missing file and how to provision it.
[[nodiscard]] model_paths resolve_model_paths(const std::optional<std::filesystem::path>& dir);

/// Checks every OpenFace 2.2 model file present under paths.root against the SHA-256 list this
/// library was built with (models/openface-2.2.0.sha256, the list scripts/fetch_models.sh
/// verifies), so that a file truncated or altered after provisioning fails by name when the
/// models load instead of loading wrong numbers (or crashing a parser). Throws
/// facemirror::error(model_format) naming the first such file. Hashes the whole tree (43 MB):
/// tens of milliseconds. dlib's model is Debian's package's, left to dpkg.
void verify_model_checksums(const model_paths& paths);

}  // namespace facemirror

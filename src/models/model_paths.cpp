#include "facemirror/models/model_paths.h"

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "facemirror/error.h"

#include <dlfcn.h>

namespace facemirror {
namespace {

constexpr const char* debian_dlib_model = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";

void require_file(const std::filesystem::path& file, const std::string& hint) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    throw error(error_code::model_format,
                "missing model file '" + file.string() + "' (" + hint + ")");
  }
}

}  // namespace

std::filesystem::path default_models_dir() {
  if (const char* env = std::getenv("FACEMIRROR_MODELS"); env != nullptr && *env != '\0') {
    return env;
  }
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::filesystem::path(xdg) / "facemirror" / "models";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : ".") / ".local" / "share" / "facemirror" /
         "models";
}

namespace {

// The fetch_models.sh installed with this library, where one is: beside it (a wheel puts the
// library and the script in the Python package's folder), or in share/facemirror of the prefix
// it is installed under (lib/, or Debian's lib/<multiarch>/), or of the running program's
// (bin/). Found from where the library is, not only from the program: under Python the
// program is /usr/bin/python3, whose prefix holds no such script.
std::optional<std::filesystem::path> installed_fetch_models() {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  Dl_info self{};
  if (::dladdr(reinterpret_cast<void*>(&installed_fetch_models), &self) != 0 &&
      self.dli_fname != nullptr) {
    std::error_code ec;
    const fs::path library_dir = fs::canonical(self.dli_fname, ec).parent_path();
    if (!ec) {
      candidates.push_back(library_dir / "fetch_models.sh");
      candidates.push_back(library_dir.parent_path() / "share/facemirror/fetch_models.sh");
      candidates.push_back(library_dir.parent_path().parent_path() /
                           "share/facemirror/fetch_models.sh");
    }
  }
  std::error_code ec;
  const fs::path program = fs::read_symlink("/proc/self/exe", ec);
  if (!ec)
    candidates.push_back(program.parent_path().parent_path() / "share/facemirror/fetch_models.sh");
  for (const fs::path& candidate : candidates) {
    if (fs::is_regular_file(candidate, ec))
      return candidate;
  }
  return std::nullopt;
}

}  // namespace

std::string fetch_models_hint() {
  const std::optional<std::filesystem::path> found = installed_fetch_models();
  const std::string installed =
      found ? found->string() : std::string(FACEMIRROR_INSTALLED_FETCH_MODELS);
  return "fetch_models.sh (" + installed +
         " where installed, scripts/fetch_models.sh in the source, beside the Python module of a "
         "wheel)";
}

model_paths resolve_model_paths(const std::optional<std::filesystem::path>& dir) {
  model_paths paths;
  paths.root = dir ? *dir : default_models_dir();
  // Said to CLI and Python users alike: each names the folder its own way.
  const std::string provision =
      "fill the folder with " + fetch_models_hint() +
      ", or name another: the CLI's --models, Python's models=, or $FACEMIRROR_MODELS";
  std::error_code ec;
  if (!std::filesystem::is_directory(paths.root, ec))
    throw error(error_code::model_format,
                "models folder '" + paths.root.string() + "' " +
                    (std::filesystem::exists(paths.root, ec) ? "is a file, not a folder"
                                                             : "does not exist") +
                    " (" + provision + ")");
  paths.au_predictors = paths.root / "AU_predictors";
  paths.pdm = paths.au_predictors / "In-the-wild_aligned_PDM_68.txt";
  for (const char* name : {"main_dynamic_svms.txt", "main_static_svms.txt", "AU_all_best.txt",
                           "AU_all_static.txt", "tris_68_full.txt"}) {
    require_file(paths.au_predictors / name, provision);
  }
  require_file(paths.pdm, provision);
  paths.clnf = paths.root / "model" / "main_clnf_general.txt";
  require_file(paths.clnf, provision);
  paths.validator = paths.root / "model" / "detection_validation" / "validator_cnn.txt";
  require_file(paths.validator, provision);
  paths.mtcnn = paths.root / "model" / "mtcnn_detector";
  for (const char* name : {"MTCNN_detector.txt", "PNet.dat", "RNet.dat", "ONet.dat"})
    require_file(paths.mtcnn / name, provision);
  paths.dlib_landmarks = paths.root / "shape_predictor_68_face_landmarks.dat";
  if (!std::filesystem::exists(paths.dlib_landmarks))
    paths.dlib_landmarks = debian_dlib_model;
  require_file(paths.dlib_landmarks, "install Debian's libdlib-data package");
  return paths;
}

}  // namespace facemirror

#include "facemirror/models/model_paths.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "facemirror/error.h"

#include "support/test_data.h"

namespace facemirror {
namespace {

// The message resolve_model_paths(dir) refuses `dir` with (a model_format error).
std::string refusal_of(const std::filesystem::path& dir) {
  try {
    (void)resolve_model_paths(dir);
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_code::model_format);
    return e.what();
  }
  ADD_FAILURE() << "expected an error for " << dir;
  return {};
}

TEST(model_paths_test, missing_file_is_named_with_a_provisioning_hint) {
  const auto dir = test::scratch_dir();
  const std::string what = refusal_of(dir);
  EXPECT_NE(what.find((dir / "AU_predictors").string()), std::string::npos) << what;
  EXPECT_NE(what.find("fetch_models.sh"), std::string::npos) << what;
}

// A folder that is not there at all (a typo, an unmounted share) is said so, with the ways of
// naming another from the CLI and from Python.
TEST(model_paths_test, a_missing_folder_is_said_missing_with_every_way_to_name_one) {
  const auto dir = test::scratch_dir() / "no_such_models";
  const std::string what = refusal_of(dir);
  EXPECT_NE(what.find("models folder '" + dir.string() + "' does not exist"), std::string::npos)
      << what;
  for (const char* way : {"fetch_models.sh", "--models", "models=", "$FACEMIRROR_MODELS"})
    EXPECT_NE(what.find(way), std::string::npos) << way << ": " << what;
}

TEST(model_paths_test, default_folder_follows_the_environment) {
  ::setenv("FACEMIRROR_MODELS", "/opt/fm-models", 1);
  EXPECT_EQ(default_models_dir(), std::filesystem::path("/opt/fm-models"));
  ::unsetenv("FACEMIRROR_MODELS");
  ::setenv("XDG_DATA_HOME", "/tmp/xdg", 1);
  EXPECT_EQ(default_models_dir(), std::filesystem::path("/tmp/xdg/facemirror/models"));
  ::unsetenv("XDG_DATA_HOME");
}

TEST(model_paths_test, resolves_the_shared_openface_tree) {
  FACEMIRROR_REQUIRE_SHARED();
  if (!test::dlib_landmark_model())
    GTEST_SKIP() << "libdlib-data not installed";
  const auto paths = resolve_model_paths(*test::shared_dir() / "models/openface");
  EXPECT_TRUE(std::filesystem::exists(paths.pdm));
  EXPECT_TRUE(std::filesystem::exists(paths.dlib_landmarks));
}

}  // namespace
}  // namespace facemirror

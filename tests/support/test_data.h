#pragma once
// Locating test inputs. The shared data folder (models, videos, OpenFace reference CSVs) is
// optional: tests that need it call FACEMIRROR_REQUIRE_SHARED() and are reported as skipped
// when it is absent.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <sys/wait.h>

namespace facemirror::test {

#ifndef FACEMIRROR_TEST_SHARED_DIR
#define FACEMIRROR_TEST_SHARED_DIR ""
#define FACEMIRROR_TEST_BUILD_DIR "."
#define FACEMIRROR_TEST_SOURCE_DIR "."
#endif

/// $NAME when set and non-empty, else the value baked in at configure time.
inline std::string setting(const char* name, const char* configured) {
  const char* env = std::getenv(name);
  return env != nullptr && *env != '\0' ? env : configured;
}

inline std::optional<std::filesystem::path> shared_dir() {
  const std::filesystem::path dir = setting("FACEMIRROR_SHARED_DIR", FACEMIRROR_TEST_SHARED_DIR);
  if (dir.empty() || !std::filesystem::is_directory(dir / "models" / "openface")) {
    return std::nullopt;
  }
  return std::filesystem::weakly_canonical(dir);
}

inline std::filesystem::path build_dir() {
  return setting("FACEMIRROR_BUILD_DIR", FACEMIRROR_TEST_BUILD_DIR);
}

inline std::filesystem::path source_dir() {
  return setting("FACEMIRROR_SOURCE_DIR", FACEMIRROR_TEST_SOURCE_DIR);
}

/// dlib's 68-point model from Debian's libdlib-data (or FACEMIRROR_LANDMARK_MODEL).
inline std::optional<std::filesystem::path> dlib_landmark_model() {
  const char* env = std::getenv("FACEMIRROR_LANDMARK_MODEL");
  std::filesystem::path file = env ? env : "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
  if (!std::filesystem::exists(file))
    return std::nullopt;
  return file;
}

/// A fresh, empty directory under the build tree, unique to the running test.
inline std::filesystem::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir =
      build_dir() / "test-scratch" / (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

/// The whole file as bytes (empty when it cannot be read).
inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Runs a shell command, returns its exit status (used to make test videos with ffmpeg).
inline int run_command(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace facemirror::test

#define FACEMIRROR_REQUIRE_SHARED()                                               \
  do {                                                                            \
    if (!::facemirror::test::shared_dir())                                        \
      GTEST_SKIP() << "shared data folder not found (set FACEMIRROR_SHARED_DIR)"; \
  } while (0)

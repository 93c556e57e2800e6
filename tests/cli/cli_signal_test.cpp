// SIGINT in the middle of a run: exit status 130, no output and no partial file left, and no
// worker process outliving the CLI, in both isolation modes.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "cli_support.h"
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace facemirror::test {
namespace {

namespace fs = std::filesystem;

// Processes whose command line mentions `needle` (our unique output folder).
int processes_mentioning(const std::string& needle) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(needle) != std::string::npos)
      ++count;
  }
  return count;
}

class cli_signal_test : public ::testing::TestWithParam<const char*> {};

TEST_P(cli_signal_test, sigint_removes_partial_outputs_and_workers) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path long_video = dir / "long.mp4";
  ASSERT_EQ(run_command("ffmpeg -y -loglevel error -stream_loop 9 -i '" +
                        sample_video("default.wmv").string() +
                        "' -c:v libx264 -preset ultrafast '" + long_video.string() + "'"),
            0);
  const fs::path out = dir / "out";
  const std::string models = (*shared_dir() / "models/openface").string();
  std::vector<std::string> args = {
      FACEMIRROR_CLI_PATH, "aus", long_video.string(), "-o",       out.string(), "--models", models,
      "--workers",         "2",   "--isolation",       GetParam(), "-q"};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  // Let it load the models and get into the video.
  for (int i = 0; i < 100 && !fs::exists(out); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_FALSE(fs::exists(out / "long.csv"));
  for (const auto& entry : fs::directory_iterator(out)) {
    ADD_FAILURE() << "left behind: " << entry.path();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(processes_mentioning(out.string()), 0) << "a worker outlived the CLI";
}

INSTANTIATE_TEST_SUITE_P(isolation, cli_signal_test, ::testing::Values("thread", "process"));

}  // namespace
}  // namespace facemirror::test

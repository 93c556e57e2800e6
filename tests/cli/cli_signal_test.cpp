// SIGINT in the middle of a run: exit status 130, no output and no partial file left, and no
// worker process outliving the CLI, in both isolation modes; SIGHUP the same, unless ignored.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

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

// The CLI started on a 10-loop copy of default.wmv (`aus`, two workers), once it is into the
// video: out/ exists and it has had 3 s.
struct running_cli {
  pid_t pid = 0;
  fs::path out;
};

// `own_group`: in a process group of its own (with its workers), as a job a shell or Slurm
// stops and continues as one. SIGINT and SIGHUP start at their default action unless
// `inherit_ignored` (a test that ignores one itself): a test run as a background job (CI
// scripts) has SIGINT ignored, and the CLI keeps an ignore it inherits.
void start_cli_on_a_long_video(const std::string& isolation, running_cli& cli,
                               const std::vector<std::string>& more_args = {},
                               bool own_group = false, bool inherit_ignored = false) {
  const fs::path dir = scratch_dir();
  const fs::path long_video = dir / "long.mp4";
  ASSERT_EQ(run_command("ffmpeg -y -loglevel error -stream_loop 9 -i '" +
                        sample_video("default.wmv").string() +
                        "' -c:v libx264 -preset ultrafast '" + long_video.string() + "'"),
            0);
  cli.out = dir / "out";
  const std::string models = (*shared_dir() / "models/openface").string();
  std::vector<std::string> args = {
      FACEMIRROR_CLI_PATH, "aus",  long_video.string(), "-o", cli.out.string(),
      "--models",          models, "--workers",         "2",  "--isolation",
      isolation,           "-q"};
  args.insert(args.end(), more_args.begin(), more_args.end());
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawnattr_t attributes;
  ::posix_spawnattr_init(&attributes);
  short flags = 0;
  if (own_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    ::posix_spawnattr_setpgroup(&attributes, 0);
  }
  if (!inherit_ignored) {
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGHUP);
    ::posix_spawnattr_setsigdefault(&attributes, &defaults);
    flags |= POSIX_SPAWN_SETSIGDEF;
  }
  ::posix_spawnattr_setflags(&attributes, flags);
  const int spawned = ::posix_spawn(&cli.pid, argv[0], nullptr, &attributes, argv.data(), environ);
  ::posix_spawnattr_destroy(&attributes);
  ASSERT_EQ(spawned, 0);
  // Let it load the models and get into the video.
  for (int i = 0; i < 100 && !fs::exists(cli.out); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::this_thread::sleep_for(std::chrono::seconds(3));
}

// The pids of `parent`'s child processes (its workers).
std::set<pid_t> children_of(pid_t parent) {
  std::set<pid_t> children;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line) || line.rfind(')') == std::string::npos)
      continue;
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    char state = 0;
    pid_t ppid = 0;
    if (rest >> state >> ppid && ppid == parent)
      children.insert(static_cast<pid_t>(std::stoi(entry.path().filename().string())));
  }
  return children;
}

// Stops it with `signal`: exit status 130, nothing written, no worker left.
void expect_a_clean_stop(const running_cli& cli, int signal) {
  ASSERT_EQ(::kill(cli.pid, signal), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(cli.pid, &status, 0), cli.pid);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_FALSE(fs::exists(cli.out / "long.csv"));
  for (const auto& entry : fs::directory_iterator(cli.out)) {
    ADD_FAILURE() << "left behind: " << entry.path();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(processes_mentioning(cli.out.string()), 0) << "a worker outlived the CLI";
}

class cli_signal_test : public ::testing::TestWithParam<const char*> {};

TEST_P(cli_signal_test, sigint_removes_partial_outputs_and_workers) {
  FACEMIRROR_REQUIRE_SHARED();
  running_cli cli;
  ASSERT_NO_FATAL_FAILURE(start_cli_on_a_long_video(GetParam(), cli));
  expect_a_clean_stop(cli, SIGINT);
}

// Closing the terminal window (SIGHUP) stops a run as Ctrl-C does, rather than killing it with
// its outputs half-written; under nohup (SIGHUP ignored, inherited) the run goes on.
TEST(cli_hangup_test, sighup_stops_as_sigint_does_unless_ignored) {
  FACEMIRROR_REQUIRE_SHARED();
  running_cli cli;
  ASSERT_NO_FATAL_FAILURE(start_cli_on_a_long_video("thread", cli));
  expect_a_clean_stop(cli, SIGHUP);

  struct sigaction ignore = {}, before = {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGHUP, &ignore, &before), 0);
  running_cli under_nohup;
  start_cli_on_a_long_video("thread", under_nohup, {}, false, /*inherit_ignored=*/true);
  ::sigaction(SIGHUP, &before, nullptr);
  ASSERT_GT(under_nohup.pid, 0);
  ASSERT_EQ(::kill(under_nohup.pid, SIGHUP), 0);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(::waitpid(under_nohup.pid, nullptr, WNOHANG), 0) << "a SIGHUP under nohup stopped it";
  expect_a_clean_stop(under_nohup, SIGTERM);  // SIGINT may be ignored too, in a background job
}

// A background job of a shell script starts with SIGINT ignored (so that the script's Ctrl-C
// does not reach it): it stays ignored, as SIGHUP under nohup; SIGTERM still stops the run.
TEST(cli_hangup_test, an_inherited_sigint_ignore_is_kept) {
  FACEMIRROR_REQUIRE_SHARED();
  struct sigaction ignore = {}, before = {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGINT, &ignore, &before), 0);
  running_cli background;
  start_cli_on_a_long_video("thread", background, {}, false, /*inherit_ignored=*/true);
  ::sigaction(SIGINT, &before, nullptr);
  ASSERT_GT(background.pid, 0);
  ASSERT_EQ(::kill(background.pid, SIGINT), 0);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // a clean stop takes well under that
  EXPECT_EQ(::waitpid(background.pid, nullptr, WNOHANG), 0) << "an ignored SIGINT stopped it";
  expect_a_clean_stop(background, SIGTERM);
}

// A run stopped and continued (Ctrl-Z and fg, a suspended Slurm job) with its workers: the
// time it was stopped is not a worker's hang, so no worker is replaced (one stopped for longer
// than --timeout was killed as hung, and a second stop failed healthy videos).
TEST(cli_suspend_test, a_stopped_and_continued_run_replaces_no_worker) {
  FACEMIRROR_REQUIRE_SHARED();
  running_cli cli;
  ASSERT_NO_FATAL_FAILURE(
      start_cli_on_a_long_video("process", cli, {"--timeout", "5"}, /*own_group=*/true));
  // The workers are forked once the models are loaded: slow on a busy machine.
  std::set<pid_t> workers = children_of(cli.pid);
  for (int i = 0; i < 600 && workers.size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    workers = children_of(cli.pid);
  }
  ASSERT_EQ(workers.size(), 2u);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // into their segments
  ASSERT_EQ(::kill(-cli.pid, SIGSTOP), 0);
  std::this_thread::sleep_for(std::chrono::seconds(8));
  ASSERT_EQ(::kill(-cli.pid, SIGCONT), 0);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(children_of(cli.pid), workers) << "a worker was replaced as hung";
  expect_a_clean_stop(cli, SIGINT);
}

// A mirror job stopped after one of its videos finished: that video's page and the folder's
// index listing it are there (the index was written only at a run's end), the stopped video
// left nothing.
TEST(cli_signal_mirror_test, a_stopped_mirror_job_indexes_the_videos_it_finished) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path short_video = dir / "short.mp4", long_video = dir / "long.mp4";
  const std::string source = sample_video("default.wmv").string();
  ASSERT_EQ(
      run_command("ffmpeg -y -loglevel error -i '" + source +
                  "' -frames:v 12 -c:v libx264 -preset ultrafast '" + short_video.string() + "'"),
      0);
  ASSERT_EQ(run_command("ffmpeg -y -loglevel error -stream_loop 9 -i '" + source +
                        "' -c:v libx264 -preset ultrafast '" + long_video.string() + "'"),
            0);
  const fs::path out = dir / "out";
  std::vector<std::string> args = {FACEMIRROR_CLI_PATH,
                                   "mirror",
                                   short_video.string(),
                                   long_video.string(),
                                   "-o",
                                   out.string(),
                                   "--models",
                                   (*shared_dir() / "models/openface").string(),
                                   "--workers",
                                   "2",
                                   "-q"};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  posix_spawnattr_t attributes;  // SIGINT at its default action, as start_cli_on_a_long_video
  ::posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  ::posix_spawnattr_setsigdefault(&attributes, &defaults);
  ::posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
  const int spawned = ::posix_spawn(&pid, argv[0], nullptr, &attributes, argv.data(), environ);
  ::posix_spawnattr_destroy(&attributes);
  ASSERT_EQ(spawned, 0);
  for (int i = 0; i < 1200 && !fs::exists(out / "short_report.html"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (!fs::exists(out / "short_report.html")) {
    // Not left running: ctest would wait for the long video's end (9 minutes under ASan).
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    FAIL() << "the short video's report was not written within 120 s";
  }
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  std::ifstream index(out / "index.html");
  const std::string html((std::istreambuf_iterator<char>(index)), std::istreambuf_iterator<char>());
  EXPECT_NE(html.find("short_report.html"), std::string::npos) << html;
  EXPECT_EQ(html.find(">long<"), std::string::npos);
  EXPECT_FALSE(fs::exists(out / "long_left_mirrored.mp4"));
}

INSTANTIATE_TEST_SUITE_P(isolation, cli_signal_test, ::testing::Values("thread", "process"));

}  // namespace
}  // namespace facemirror::test

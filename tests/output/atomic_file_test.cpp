#include "facemirror/output/atomic_file.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "facemirror/error.h"

#include "support/test_data.h"
#include <sys/wait.h>
#include <unistd.h>

namespace facemirror {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(atomic_file_test, target_appears_only_on_commit) {
  const fs::path dir = test::scratch_dir();
  const fs::path target = dir / "out.csv";
  atomic_file file(target);
  file.write("frame\n1\n");
  EXPECT_FALSE(fs::exists(target));
  EXPECT_TRUE(fs::exists(file.temp_path()));
  file.commit();
  EXPECT_EQ(read_all(target), "frame\n1\n");
  EXPECT_FALSE(fs::exists(file.temp_path()));
}

std::string host() {
  char name[256] = {};
  EXPECT_EQ(::gethostname(name, sizeof(name) - 1), 0);
  return name;
}

// A pid that no process has now: a child that has exited and been reaped.
pid_t gone_pid() {
  const pid_t child = ::fork();
  if (child == 0)
    ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

// A pid whose process has ended but is not reaped yet (a zombie), as a killed run's workers are
// until whoever adopts them reaps them. The caller reaps it.
pid_t zombie_pid() {
  const pid_t child = ::fork();
  if (child == 0)
    ::_exit(0);
  siginfo_t info{};  // waits until it has exited, leaving it unreaped
  EXPECT_EQ(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
  return child;
}

// What a run killed with SIGKILL leaves (no destructor ran) is removed by the next writer of the
// same target; the partial files of live writers, and of other hosts' recent ones, are not.
TEST(atomic_file_test, a_new_writer_removes_the_orphans_of_its_target) {
  const fs::path dir = test::scratch_dir();
  const fs::path target = dir / "out.csv";
  const std::string here = host();
  const fs::path dead_file =
      dir / ("out.csv.partial-" + here + "-" + std::to_string(gone_pid()) + "-0");
  const fs::path dead_folder =
      dir / ("out.csv.partial-" + here + "-" + std::to_string(gone_pid()) + "-3");
  const pid_t zombie = zombie_pid();
  const fs::path zombie_file =
      dir / ("out.csv.partial-" + here + "-" + std::to_string(zombie) + "-1");
  const fs::path live =
      dir / ("out.csv.partial-" + here + "-" + std::to_string(::getppid()) + "-0");
  const fs::path foreign_recent = dir / "out.csv.partial-other-node-7-12-0";
  const fs::path foreign_old = dir / "out.csv.partial-other-node-7-13-0";
  const fs::path other_target =
      dir / ("other.csv.partial-" + here + "-" + std::to_string(gone_pid()) + "-0");
  // A finished output whose name begins as a partial one's (the CSV of a video named so).
  const fs::path lookalike =
      dir / ("out.csv.partial-" + here + "-" + std::to_string(gone_pid()) + "-0.csv");
  for (const auto& file :
       {dead_file, zombie_file, live, foreign_recent, foreign_old, other_target, lookalike})
    std::ofstream(file) << "partial";
  fs::create_directories(dead_folder / "inside");
  fs::last_write_time(foreign_old, fs::file_time_type::clock::now() - std::chrono::hours(2));

  atomic_file file(target);
  ::waitpid(zombie, nullptr, 0);
  EXPECT_FALSE(fs::exists(dead_file));
  EXPECT_FALSE(fs::exists(zombie_file));
  EXPECT_FALSE(fs::exists(dead_folder));
  EXPECT_FALSE(fs::exists(foreign_old));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(foreign_recent));
  EXPECT_TRUE(fs::exists(other_target));  // another target's: its own writer's business
  EXPECT_TRUE(fs::exists(lookalike));
  EXPECT_NE(file.temp_path().filename().string().find(".partial-" + here + "-"), std::string::npos);
  file.commit();
}

// A name that fits a file name (255 bytes) is written, though ".partial-<host>-<pid>-<n>" after
// it would not fit (it once failed with "File name too long"); its orphans are still found.
TEST(atomic_file_test, a_long_name_is_written_and_its_orphans_swept) {
  const fs::path dir = test::scratch_dir();
  const fs::path target = dir / (std::string(240, 'p') + ".csv");
  const fs::path sibling = dir / (std::string(240, 'p') + ".txt");  // same first 141 bytes
  {
    atomic_file file(target);
    EXPECT_LE(file.temp_path().filename().string().size(), 255u);
    file.write("whole");
    file.commit();
  }
  EXPECT_EQ(test::read_file(target), "whole");
  atomic_file killed(target);  // what a run killed with SIGKILL leaves: renamed to a dead pid's
  killed.write("half");
  const std::string name = killed.temp_path().filename().string();
  const fs::path orphan = dir / (name.substr(0, name.find(".partial-") + 9) + host() + "-" +
                                 std::to_string(gone_pid()) + "-0");
  fs::copy_file(killed.temp_path(), orphan);
  atomic_file other(sibling);  // another target's writer leaves it alone
  EXPECT_TRUE(fs::exists(orphan));
  atomic_file next(target);
  EXPECT_FALSE(fs::exists(orphan));
}

TEST(atomic_file_test, abandoned_writer_leaves_nothing_behind) {
  const fs::path dir = test::scratch_dir();
  {
    atomic_file file(dir / "out.csv");
    file.write("half a file");
  }
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(atomic_file_test, replaces_an_existing_target_whole) {
  const fs::path dir = test::scratch_dir();
  std::ofstream(dir / "out.csv") << "old";
  atomic_file file(dir / "out.csv");
  file.write("new");
  EXPECT_EQ(read_all(dir / "out.csv"), "old");
  file.commit();
  EXPECT_EQ(read_all(dir / "out.csv"), "new");
}

// The last step can fail too (here the target is a folder that holds a file): the commit is
// an error naming the target, and the written data does not stay behind under its partial name.
TEST(atomic_file_test, a_failed_rename_is_an_io_error_and_leaves_nothing) {
  const fs::path dir = test::scratch_dir();
  const fs::path target = dir / "out.csv";
  fs::create_directories(target);
  std::ofstream(target / "inside") << "x";
  atomic_file file(target);
  file.write("frame\n1\n");
  try {
    file.commit();
    FAIL() << "expected an error";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_code::io);
    EXPECT_NE(std::string(e.what()).find("rename onto '" + target.string() + "'"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(file.temp_path()));
  EXPECT_TRUE(fs::is_directory(target));
}

TEST(atomic_file_test, unwritable_folder_is_an_io_error_naming_the_target) {
  try {
    atomic_file file("/nonexistent-folder/out.csv");
    FAIL() << "expected an error";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_code::io);
    EXPECT_NE(std::string(e.what()).find("/nonexistent-folder/out.csv"), std::string::npos);
  }
}

}  // namespace
}  // namespace facemirror

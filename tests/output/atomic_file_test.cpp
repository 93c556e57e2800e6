#include "facemirror/output/atomic_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "facemirror/error.h"

#include "support/test_data.h"

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

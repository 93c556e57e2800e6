// The shard split (tools/facemirror/shards.h): every video in exactly one shard, shards of
// similar work, the same split for every task, and --shard / manifest parsing.

#include "../../tools/facemirror/shards.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include <unistd.h>

namespace fs = std::filesystem;
using facemirror::cli::parse_shard;
using facemirror::cli::read_manifest;
using facemirror::cli::split_by_work;

namespace {

std::map<std::string, std::string> fake_env;

const char* fake_getenv(const char* name) {
  const auto it = fake_env.find(name);
  return it == fake_env.end() ? nullptr : it->second.c_str();
}

std::vector<int64_t> loads(const std::vector<int64_t>& work, const std::vector<int>& shard_of,
                           int count) {
  std::vector<int64_t> load(static_cast<size_t>(count), 0);
  for (size_t i = 0; i < work.size(); ++i)
    load[static_cast<size_t>(shard_of[i])] += work[i];
  return load;
}

}  // namespace

TEST(shards_test, the_six_shared_videos_split_into_three_even_shards) {
  // Frame counts of default, changeLighting, 2015-10-15-15-14, multi_face, subj01, subj02.
  const std::vector<int64_t> frames = {288, 88, 842, 702, 158, 148};
  const auto shard_of = split_by_work(frames, 3);
  EXPECT_EQ(shard_of, (std::vector<int>{2, 2, 0, 1, 2, 2}));
  const auto load = loads(frames, shard_of, 3);
  EXPECT_EQ(load, (std::vector<int64_t>{842, 702, 682}));
}

TEST(shards_test, every_item_lands_in_exactly_one_shard_and_loads_stay_close) {
  std::vector<int64_t> work;
  unsigned seed = 12345;
  for (int i = 0; i < 1000; ++i) {
    seed = seed * 1103515245u + 12345u;
    work.push_back(100 + static_cast<int64_t>((seed >> 8) % 20000));
  }
  for (int count : {1, 2, 7, 64}) {
    const auto shard_of = split_by_work(work, count);
    ASSERT_EQ(shard_of.size(), work.size());
    for (int shard : shard_of) {
      ASSERT_GE(shard, 0);
      ASSERT_LT(shard, count);
    }
    const auto load = loads(work, shard_of, count);
    const int64_t largest_item = *std::max_element(work.begin(), work.end());
    const auto [lightest, heaviest] = std::minmax_element(load.begin(), load.end());
    // Longest-first greedy: no shard exceeds another by more than one item.
    EXPECT_LE(*heaviest - *lightest, largest_item) << count << " shards";
    // Same list, same split: what lets independent tasks agree without talking.
    EXPECT_EQ(split_by_work(work, count), shard_of);
  }
}

TEST(shards_test, equal_work_goes_in_list_order_and_more_shards_than_items_leave_some_empty) {
  EXPECT_EQ(split_by_work({5, 5, 5, 5}, 2), (std::vector<int>{0, 1, 0, 1}));
  EXPECT_EQ(split_by_work({3, 9}, 4), (std::vector<int>{1, 0}));
  EXPECT_EQ(split_by_work({0, 0, 0}, 2), (std::vector<int>{0, 1, 0}));
  EXPECT_THROW((void)split_by_work({1}, 0), std::invalid_argument);
}

TEST(shards_test, shard_spec_forms_and_their_errors) {
  fake_env.clear();
  EXPECT_EQ(parse_shard("2/5", fake_getenv).index, 2);
  EXPECT_EQ(parse_shard("2/5", fake_getenv).count, 5);
  EXPECT_THROW((void)parse_shard("5/5", fake_getenv), std::invalid_argument);
  EXPECT_THROW((void)parse_shard("1/0", fake_getenv), std::invalid_argument);
  EXPECT_THROW((void)parse_shard("x/3", fake_getenv), std::invalid_argument);
  EXPECT_THROW((void)parse_shard("3", fake_getenv), std::invalid_argument);
  EXPECT_THROW((void)parse_shard("auto", fake_getenv), std::invalid_argument);  // not in Slurm

  fake_env = {{"SLURM_ARRAY_TASK_ID", "4"},
              {"SLURM_ARRAY_TASK_MIN", "3"},
              {"SLURM_ARRAY_TASK_MAX", "5"},
              {"SLURM_ARRAY_TASK_COUNT", "3"}};
  EXPECT_EQ(parse_shard("auto", fake_getenv).index, 1);
  EXPECT_EQ(parse_shard("auto", fake_getenv).count, 3);
  EXPECT_EQ(parse_shard("auto/10", fake_getenv).index, 4);  // the task id itself
  EXPECT_EQ(parse_shard("auto/10", fake_getenv).count, 10);

  // A resubmitted subset (--array=1,4) is not contiguous: its size is not the shard count.
  fake_env = {{"SLURM_ARRAY_TASK_ID", "4"},
              {"SLURM_ARRAY_TASK_MIN", "1"},
              {"SLURM_ARRAY_TASK_MAX", "4"},
              {"SLURM_ARRAY_TASK_COUNT", "2"}};
  EXPECT_THROW((void)parse_shard("auto", fake_getenv), std::invalid_argument);
  EXPECT_EQ(parse_shard("auto/6", fake_getenv).index, 4);

  // An array numbered from 1 with auto/N overruns: the message says how to number it.
  fake_env = {{"SLURM_ARRAY_TASK_ID", "3"}};
  try {
    (void)parse_shard("auto/3", fake_getenv);
    FAIL() << "task 3 of auto/3 was taken";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("submit --array=0-2"), std::string::npos) << e.what();
  }
}

TEST(shards_test, manifest_skips_comments_and_resolves_relative_paths_from_its_folder) {
  const fs::path dir = fs::temp_directory_path() / ("shards_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path manifest = dir / "list.txt";
  std::ofstream(manifest) << "# cohort A\n/abs/a.mp4\n\n  videos/b.avi  \r\n#c.mp4\nfolder\n";
  EXPECT_EQ(read_manifest(manifest),
            (std::vector<std::string>{"/abs/a.mp4", (dir / "videos/b.avi").string(),
                                      (dir / "folder").string()}));
  try {
    (void)read_manifest(dir / "absent.txt");
    FAIL() << "a missing manifest must throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "absent.txt").string()), std::string::npos)
        << e.what();
  }
  // A byte-order mark (Notepad, Excel's "CSV UTF-8") is not part of the first path.
  std::ofstream(manifest) << "\xEF\xBB\xBF# list\r\nv1.mp4\r\n";
  EXPECT_EQ(read_manifest(manifest), (std::vector<std::string>{(dir / "v1.mp4").string()}));
  std::ofstream(manifest) << "\xEF\xBB\xBFv1.mp4\n";
  EXPECT_EQ(read_manifest(manifest), (std::vector<std::string>{(dir / "v1.mp4").string()}));
  fs::remove_all(dir);
}

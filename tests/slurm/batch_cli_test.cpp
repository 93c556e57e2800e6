// A manifest split into shards, resumed and summarised, through the CLI alone (no Slurm):
// each video in exactly one shard, failures recorded with their reason, a rerun skips what is
// done, and `facemirror summary` exits non-zero until nothing is failed or missing.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "../cli/cli_support.h"
#include "support/csv_fields.h"
#include "support/test_data.h"

namespace facemirror::test {
namespace {

namespace fs = std::filesystem;

size_t count_of(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++count;
  return count;
}

TEST(batch_cli_test, shards_resume_and_summary) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path out = dir / "out";
  const fs::path manifest = dir / "manifest.txt";
  std::ofstream(dir / "notes.mp4") << "this is not a video\n";
  std::ofstream(manifest) << "# two bad inputs and a good one\nnotes.mp4\n"
                          << sample_video("changeLighting.wmv").string() << "\nmissing.avi\n";
  const std::string common = " -o " + out.string() + " --manifest " + manifest.string() + " " +
                             models_arg() + " --progress none";

  // As two tasks of a Slurm array would run them, each logging where submit.sh puts its log.
  std::string all_runs;
  fs::create_directories(out / "logs");
  for (int shard = 0; shard < 2; ++shard) {
    std::ofstream(out / "logs" / ("77_" + std::to_string(shard) + ".log")) << "the task's log\n";
    ::setenv("SLURM_ARRAY_JOB_ID", "77", 1);
    ::setenv("SLURM_ARRAY_TASK_ID", std::to_string(shard).c_str(), 1);
    const cli_run run = run_cli("aus" + common + " --shard " + std::to_string(shard) + "/2");
    ::unsetenv("SLURM_ARRAY_JOB_ID");
    ::unsetenv("SLURM_ARRAY_TASK_ID");
    EXPECT_NE(run.output.find("shard " + std::to_string(shard) + "/2: "), std::string::npos)
        << run.output;
    all_runs += run.output;
  }
  // Every video in exactly one shard: one line each, ok or FAILED.
  EXPECT_EQ(count_of(all_runs, "ok     " + sample_video("changeLighting.wmv").string()), 1u)
      << all_runs;
  EXPECT_EQ(count_of(all_runs, (dir / "notes.mp4").string() + ": "), 1u) << all_runs;
  EXPECT_EQ(count_of(all_runs, (dir / "missing.avi").string() + ": "), 1u) << all_runs;
  EXPECT_TRUE(fs::exists(out / "changeLighting.csv"));

  const cli_run summary = run_cli("summary " + out.string() + " --manifest " + manifest.string());
  EXPECT_EQ(summary.status, 1) << summary.output;
  EXPECT_NE(summary.output.find("done 1/3, failed 2, missing 0"), std::string::npos)
      << summary.output;
  const auto rows = read_lines(out / "status" / "summary.csv");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], "video,state,detail");
  EXPECT_EQ(rows[1].rfind((dir / "notes.mp4").string() + ",failed,", 0), 0u) << rows[1];
  EXPECT_NE(rows[1].find("notes.mp4"), rows[1].rfind("notes.mp4")) << "reason names the file";
  // Where the failure happened, down to the task's log.
  const auto shard_at = rows[1].find(" [shard ");
  ASSERT_NE(shard_at, std::string::npos) << rows[1];
  const std::string task = rows[1].substr(shard_at + 8, 1);
  EXPECT_NE(rows[1].find(" [shard " + task + "/2 on "), std::string::npos) << rows[1];
  EXPECT_NE(rows[1].find(", Slurm task 77_" + task + ", log " +
                         (out / "logs" / ("77_" + task + ".log")).string() + "]"),
            std::string::npos)
      << rows[1];
  EXPECT_EQ(rows[2].rfind(sample_video("changeLighting.wmv").string() + ",done,", 0), 0u)
      << rows[2];
  // Summarised by hand from the folder above, as "out": the table others read still names the
  // logs by their full paths (it once wrote "out/logs/77_0.log").
  const fs::path cwd = fs::current_path();
  fs::current_path(dir);
  EXPECT_EQ(run_cli("summary out --manifest " + manifest.string()).status, 1);
  fs::current_path(cwd);
  EXPECT_EQ(read_lines(out / "status" / "summary.csv"), rows);

  // A rerun of every shard redoes only what is not done.
  const std::string csv = read_file(out / "changeLighting.csv");
  std::string reruns;
  for (int shard = 0; shard < 2; ++shard)
    reruns += run_cli("aus" + common + " --shard " + std::to_string(shard) + "/2").output;
  EXPECT_EQ(count_of(reruns, "skip   " + sample_video("changeLighting.wmv").string()), 1u)
      << reruns;
  EXPECT_EQ(count_of(reruns, "ok     "), 0u) << reruns;
  EXPECT_EQ(read_file(out / "changeLighting.csv"), csv);

  // Once the bad inputs are gone from the manifest, the batch is complete.
  std::ofstream(manifest) << sample_video("changeLighting.wmv").string() << "\n";
  const cli_run done = run_cli("summary " + out.string() + " --manifest " + manifest.string());
  EXPECT_EQ(done.status, 0) << done.output;
  EXPECT_NE(done.output.find("done 1/1, failed 0, missing 0"), std::string::npos) << done.output;
  EXPECT_EQ(done.output.find("report index:"), std::string::npos) << done.output;
  // With the batch's report written, the summary points at its index.
  ASSERT_EQ(run_cli("report " + out.string() + " " + models_arg()).status, 0);
  const cli_run reported = run_cli("summary " + out.string() + " --manifest " + manifest.string());
  EXPECT_NE(reported.output.find("report index: " + (out / "index.html").string() + "\n"),
            std::string::npos)
      << reported.output;

  // Without the CSV the video is missing again.
  fs::remove(out / "changeLighting.csv");
  EXPECT_EQ(run_cli("summary " + out.string() + " --manifest " + manifest.string()).status, 1);

  // A video no run has reached is missing with where to look (submit.sh's tasks log to
  // OUTDIR/logs/), and a mistyped folder is said absent, not created.
  fs::create_directories(out / "logs");
  std::ofstream(manifest) << sample_video("default.wmv").string() << "\n";
  const cli_run unreached = run_cli("summary " + out.string() + " --manifest " + manifest.string());
  EXPECT_NE(unreached.output.find("not processed: not run yet, or stopped before it finished "
                                  "(the jobs' logs: " +
                                  (out / "logs").string() + ")"),
            std::string::npos)
      << unreached.output;
  const cli_run mistyped =
      run_cli("summary " + (dir / "outt").string() + " --manifest " + manifest.string());
  EXPECT_EQ(mistyped.status, 2) << mistyped.output;
  EXPECT_NE(mistyped.output.find("does not exist"), std::string::npos) << mistyped.output;
  EXPECT_FALSE(fs::exists(dir / "outt"));

  // An input the plan refuses is listed under its own path, with the reason.
  fs::create_directories(dir / "second");
  fs::copy_file(sample_video("default.wmv"), dir / "second/default.wmv");
  std::ofstream(manifest) << sample_video("default.wmv").string() << "\n"
                          << (dir / "second/default.wmv").string() << "\n";
  ASSERT_EQ(run_cli("summary " + out.string() + " --manifest " + manifest.string()).status, 1);
  const auto refused = read_lines(out / "status" / "summary.csv");
  ASSERT_EQ(refused.size(), 3u);
  EXPECT_EQ(refused[1], (dir / "second/default.wmv").string() + ",failed,the same name as '" +
                            sample_video("default.wmv").string() +
                            "' (default): their outputs would overwrite each other");
}

// A mirror batch's summary without --kind: the kind is the one OUTDIR's files are of (it once
// defaulted to aus and called every mirrored video missing); a video replaced since its outputs
// were written, by a file of the same date, is missing, as the next run judges it.
TEST(batch_cli_test, a_mirror_batch_is_summarised_as_one_and_a_replaced_video_is_missing) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path clip = dir / "clip.mkv", out = dir / "out", manifest = dir / "manifest.txt";
  const auto cut = [&](const fs::path& to, int frames) {
    return run_command("ffmpeg -v error -y -i " + sample_video("changeLighting.wmv").string() +
                       " -frames:v " + std::to_string(frames) + " -c:v ffv1 " + to.string());
  };
  ASSERT_EQ(cut(clip, 8), 0);
  std::ofstream(manifest) << "clip.mkv\n";
  ASSERT_EQ(run_cli("mirror -o " + out.string() + " --manifest " + manifest.string() + " " +
                    models_arg() + " --progress none --no-report")
                .status,
            0);
  const cli_run summary = run_cli("summary " + out.string() + " --manifest " + manifest.string());
  EXPECT_EQ(summary.status, 0) << summary.output;
  EXPECT_NE(summary.output.find("done 1/1, failed 0, missing 0"), std::string::npos)
      << summary.output;
  EXPECT_EQ(summary.output.find("holds records of both"), std::string::npos) << summary.output;
  // An aus run's record beside it: the summary says which kind it took, and how to get the
  // other, rather than choosing silently.
  fs::copy_file(out / ".facemirror" / "clip.mirror.json", out / ".facemirror" / "clip.aus.json");
  const cli_run both = run_cli("summary " + out.string() + " --manifest " + manifest.string());
  EXPECT_NE(both.output.find("holds records of both aus and mirror runs: this is the aus one "
                             "(--kind mirror for the other)"),
            std::string::npos)
      << both.output;
  fs::remove(out / ".facemirror" / "clip.aus.json");

  const auto written = fs::last_write_time(clip);
  ASSERT_EQ(cut(clip, 6), 0);
  fs::last_write_time(clip, written);  // as cp -p or rsync -a leave it
  const cli_run replaced = run_cli("summary " + out.string() + " --manifest " + manifest.string());
  EXPECT_EQ(replaced.status, 1) << replaced.output;
  EXPECT_NE(replaced.output.find("input changed since its outputs were written"), std::string::npos)
      << replaced.output;
}

// A sharded mirror batch: each task writes its videos' pages but not the folder's index (every
// task would read the whole folder again and overwrite the others' index); the summary writes
// it once, listing every video.
TEST(batch_cli_test, a_sharded_mirror_batchs_index_is_written_by_its_summary) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path out = dir / "out", manifest = dir / "manifest.txt";
  for (const char* name : {"a.mkv", "b.mkv"}) {
    ASSERT_EQ(run_command("ffmpeg -v error -y -i " + sample_video("changeLighting.wmv").string() +
                          " -frames:v 6 -c:v ffv1 " + (dir / name).string()),
              0);
  }
  std::ofstream(manifest) << "a.mkv\nb.mkv\n";
  for (int shard = 0; shard < 2; ++shard) {
    const cli_run task =
        run_cli("mirror -o " + out.string() + " --manifest " + manifest.string() + " --shard " +
                std::to_string(shard) + "/2 " + models_arg() + " --progress none");
    ASSERT_EQ(task.status, 0) << task.output;
    EXPECT_NE(task.output.find("index  left to facemirror summary"), std::string::npos)
        << task.output;
  }
  EXPECT_TRUE(fs::exists(out / "a_report.html") && fs::exists(out / "b_report.html"));
  EXPECT_FALSE(fs::exists(out / "index.html"));
  const cli_run summary = run_cli("summary " + out.string() + " --manifest " + manifest.string());
  EXPECT_EQ(summary.status, 0) << summary.output;
  EXPECT_NE(summary.output.find("report index: " + (out / "index.html").string()),
            std::string::npos)
      << summary.output;
  const std::string index = read_file(out / "index.html");
  EXPECT_NE(index.find("href=\"a_report.html\""), std::string::npos);
  EXPECT_NE(index.find("href=\"b_report.html\""), std::string::npos);
  EXPECT_TRUE(fs::exists(out / "asymmetry_summary.csv"));
  EXPECT_EQ(index.find("input-changed"), std::string::npos);
  // The summary's index reads the runs' records, as `report` does: an input changed since is
  // flagged there too.
  std::ofstream(dir / "a.mkv", std::ios::app) << "re-exported";
  (void)run_cli("summary " + out.string() + " --manifest " + manifest.string());
  const std::string flagged = read_file(out / "index.html");
  const auto a_row = flagged.find("href=\"a_report.html\"");
  ASSERT_NE(a_row, std::string::npos);
  EXPECT_LT(flagged.find("(input changed since)", a_row), flagged.find("</tr>", a_row)) << flagged;
}

// A plain run's folder holds no status files: its summary says where the list of videos comes
// from, instead of "done 0/0", and leaves no status/ folder in S1's layout.
TEST(batch_cli_test, a_summary_with_no_videos_says_to_give_the_manifest) {
  const fs::path dir = scratch_dir();
  std::ofstream(dir / "clip.csv") << "frame, face_id\n";
  const cli_run plain = run_cli("summary " + dir.string());
  EXPECT_EQ(plain.status, 1) << plain.output;
  EXPECT_NE(plain.output.find("no videos to summarise in '" + dir.string() +
                              "': it holds no status files, which only runs with --manifest or "
                              "--shard write; give the run's inputs as --manifest FILE"),
            std::string::npos)
      << plain.output;
  EXPECT_EQ(plain.output.find("done 0/0"), std::string::npos) << plain.output;
  EXPECT_FALSE(fs::exists(dir / "status"));
  const fs::path manifest = dir / "manifest.txt";
  std::ofstream(manifest) << "# nothing yet\n";
  const cli_run empty = run_cli("summary " + dir.string() + " --manifest " + manifest.string());
  EXPECT_EQ(empty.status, 1) << empty.output;
  EXPECT_NE(empty.output.find(manifest.string() + " lists no inputs"), std::string::npos)
      << empty.output;
  EXPECT_FALSE(fs::exists(dir / "status"));
}

TEST(batch_cli_test, bad_shard_and_manifest_are_usage_errors_naming_the_cause) {
  const fs::path dir = scratch_dir();
  const cli_run no_manifest =
      run_cli("aus --manifest " + (dir / "absent.txt").string() + " -o " + dir.string());
  EXPECT_EQ(no_manifest.status, 2);
  EXPECT_NE(no_manifest.output.find((dir / "absent.txt").string()), std::string::npos)
      << no_manifest.output;
  const cli_run bad_shard = run_cli("aus x.mp4 --shard 3/3 -o " + dir.string());
  EXPECT_EQ(bad_shard.status, 2);
  EXPECT_NE(bad_shard.output.find("0-based"), std::string::npos) << bad_shard.output;
  // `--shard "$UNSET"` in a job script: refused, not every input in every task.
  const cli_run empty_shard = run_cli("aus x.mp4 --shard '' -o " + dir.string());
  EXPECT_EQ(empty_shard.status, 2);
  EXPECT_NE(empty_shard.output.find("--shard: an empty value"), std::string::npos)
      << empty_shard.output;
}

}  // namespace
}  // namespace facemirror::test

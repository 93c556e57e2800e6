// End-to-end runs of the facemirror CLI on the shared videos: the CLI contract, the CSV
// layout against OpenFace's reference, bad inputs in a batch, determinism across workers.

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "facemirror/output/aligned_face_folder.h"
#include "facemirror/output/hog_file.h"

#include "cli_support.h"
#include "support/bmp_reader.h"
#include "support/damaged_video.h"
#include "support/exif_jpeg.h"
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

namespace facemirror::test {
namespace {

namespace fs = std::filesystem;

bool has_partial_files(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().find(".partial-") != std::string::npos)
      return true;
  }
  return false;
}

TEST(cli_test, help_explains_the_options_with_an_example) {
  const cli_run run = run_cli("aus --help");
  EXPECT_EQ(run.status, 0);
  for (const char* needle :
       {"--output-dir", "--models", "--workers", "--au-static", "--progress", "--hog", "--aligned",
        "--outputs", "--fx", "--cy", "Example", "facemirror aus"}) {
    EXPECT_NE(run.output.find(needle), std::string::npos) << needle;
  }
}

TEST(cli_test, usage_error_exits_2) {
  EXPECT_EQ(run_cli("aus").status, 2);
  EXPECT_EQ(run_cli("frobnicate").status, 2);
  // The HOG file and aligned faces are the AU features' own.
  EXPECT_EQ(run_cli("aus x.mp4 -o out --hog --no-aus").status, 2);
  EXPECT_EQ(run_cli("aus x.mp4 -o out --aligned --no-aus").status, 2);
  for (const char* tracks : {"0", "16", "1.5", "abc"}) {  // a whole number, 1 to 15
    const cli_run bad = run_cli(std::string("aus x.mp4 -o out --consensus ") + tracks);
    EXPECT_EQ(bad.status, 2) << tracks;
    EXPECT_NE(bad.output.find("--consensus"), std::string::npos) << bad.output;
  }
  // Two tracks (their mean) is a consensus too: the run gets past the options to the missing
  // video.
  const cli_run two = run_cli("aus x.mp4 -o out --consensus 2");
  EXPECT_NE(two.status, 2) << two.output;
  EXPECT_EQ(two.output.find("--consensus"), std::string::npos) << two.output;
  // Options that do not go together are a usage error before any folder is made (and before
  // --list-inputs, submit.sh's check, passes the batch), not every input's failure.
  const fs::path never = scratch_dir() / "never";
  for (const char* options : {"--consensus 3 --aligned", "--consensus 2 --max-faces 3",
                              "--consensus 3 --landmarks dlib --list-inputs"}) {
    const cli_run clash = run_cli("aus x.mp4 -o " + never.string() + " " + options);
    EXPECT_EQ(clash.status, 2) << options << ": " << clash.output;
    EXPECT_NE(clash.output.find("consensus tracks are CLNF tracks"), std::string::npos)
        << clash.output;
    EXPECT_FALSE(fs::exists(never)) << options;
  }
  // An output folder that cannot be made says why.
  const fs::path file = scratch_dir() / "a_file";
  std::ofstream(file) << "x";
  for (const auto& [folder, why] : {std::pair{file, "a file of that name is there"},
                                    std::pair{file / "sub", "Not a directory"}}) {
    const cli_run bad = run_cli("aus x.mp4 -o " + folder.string());
    EXPECT_EQ(bad.status, 1);
    EXPECT_NE(bad.output.find("cannot create output folder '" + folder.string() + "': " + why),
              std::string::npos)
        << bad.output;
  }
}

// OpenFace's output selectors: --outputs aus writes exactly FeatureExtraction -aus's columns (the
// five leading ones and the AUs, in the reference's order), one row per frame.
TEST(cli_test, outputs_aus_writes_exactly_openfaces_aus_columns) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path out = scratch_dir();
  const cli_run run = run_cli("aus " + sample_video("changeLighting.wmv").string() + " -o " +
                              out.string() + " " + models_arg() + " -q --outputs aus");
  ASSERT_EQ(run.status, 0) << run.output;
  const auto ours = read_lines(out / "changeLighting.csv");
  const auto reference = read_lines(*shared_dir() / "reference/openface22/changeLighting.csv");
  std::string expected = "frame, face_id, timestamp, confidence, success";
  for (const auto& name : split_fields(reference.at(0))) {
    const std::string suffix = name.size() > 2 ? name.substr(name.size() - 2) : "";
    if (name.rfind("AU", 0) == 0 && (suffix == "_r" || suffix == "_c"))
      expected += ", " + name;
  }
  ASSERT_FALSE(ours.empty());
  EXPECT_EQ(ours[0], expected);
  EXPECT_EQ(split_fields(ours[0]).size(), 5u + 17 + 18);
  ASSERT_EQ(ours.size(), reference.size());
  EXPECT_EQ(split_fields(ours[1]).size(), split_fields(ours[0]).size());
}

TEST(cli_test, bad_output_selectors_and_partial_intrinsics_are_usage_errors) {
  const cli_run unknown = run_cli("aus in.mp4 -o out --outputs aus,hog");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.output.find("'hog'"), std::string::npos) << unknown.output;
  const cli_run partial = run_cli("aus in.mp4 -o out --fx 600 --fy 600 --cx 300");
  EXPECT_EQ(partial.status, 2);
  EXPECT_NE(partial.output.find("--cy"), std::string::npos) << partial.output;
  const cli_run focal = run_cli("aus in.mp4 -o out --fx 600");
  EXPECT_EQ(focal.status, 2);
  EXPECT_NE(focal.output.find("--fy"), std::string::npos) << focal.output;
  EXPECT_EQ(run_cli("aus in.mp4 -o out --fx 0 --fy 600 --cx 1 --cy 1").status, 2);
}

// A number out of range is a one-line usage error saying what is wanted (CLI11's own range
// check printed the largest double in full, 309 digits).
TEST(cli_test, numbers_out_of_range_say_what_is_wanted) {
  const cli_run zero = run_cli("aus in.mp4 -o out --segment-frames 0");
  EXPECT_EQ(zero.status, 2);
  EXPECT_NE(zero.output.find("--segment-frames: must be a number above 0, not '0'"),
            std::string::npos)
      << zero.output;
  const cli_run negative = run_cli("mirror in.mp4 -o out --workers -2");
  EXPECT_EQ(negative.status, 2);
  EXPECT_NE(negative.output.find("--workers: must be a number, 0 or more, not '-2'"),
            std::string::npos)
      << negative.output;
  for (const cli_run& run : {zero, negative})
    EXPECT_LT(run.output.size(), 200u) << run.output;
}

// `report --min-face-share` sets the share below which a face is flagged: a face on 3 of 5
// frames is flagged at the default 0.8, not at 0.5; a share is 0 to 1.
TEST(cli_test, report_flags_a_face_found_too_rarely_at_the_chosen_share) {
  const fs::path dir = scratch_dir();
  std::ofstream(dir / "clip.csv") << "frame, face_id, timestamp, confidence, success, AU01_r\n"
                                     "1, 0, 0.0, 0.9, 1, 0.5\n2, 0, 0.5, 0.1, 0, 0.0\n"
                                     "3, 0, 1.0, 0.9, 1, 1.5\n4, 0, 1.5, 0.1, 0, 0.0\n"
                                     "5, 0, 2.0, 0.9, 1, 1.5\n";
  const auto flagged = [&](const std::string& options) {
    const cli_run run = run_cli("report " + dir.string() + " -q --models " +
                                (dir / "no_models").string() + " " + options);
    EXPECT_EQ(run.status, 0) << run.output;
    std::ifstream page(dir / "clip_report.html");
    const std::string html((std::istreambuf_iterator<char>(page)), {});
    return html.find("class=\"few-faces\"") != std::string::npos;
  };
  EXPECT_TRUE(flagged(""));
  EXPECT_FALSE(flagged("--min-face-share 0.5"));
  EXPECT_TRUE(flagged("--min-face-share 0.61"));
  const cli_run help = run_cli("report --help");
  for (const char* needle :
       {"--min-face-share", "_tasks.csv", "brow_raise", "lower_lip", "Example"})
    EXPECT_NE(help.output.find(needle), std::string::npos) << needle;
  const cli_run bad = run_cli("report " + dir.string() + " --min-face-share 1.5");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.output.find("--min-face-share"), std::string::npos) << bad.output;
}

// A report written later says how, where, when and from what file its AU files were made, and
// whether that file is still the one analysed: a report of a recording since replaced (or
// re-exported) says so at its top and in the folder's index.
TEST(cli_test, report_states_where_when_and_from_what_input_the_au_files_were_made) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = fs::absolute(scratch_dir()).lexically_normal();
  const fs::path clip = dir / "clip.mp4";
  ASSERT_EQ(run_command("ffmpeg -v error -y -i " + sample_video("default.wmv").string() +
                        " -frames:v 8 -c:v libx264 -preset veryfast " + clip.string()),
            0);
  // Relative paths, as typed: the page says which folder they are relative to.
  ASSERT_EQ(run_command("cd " + dir.string() + " && " + FACEMIRROR_CLI_PATH +
                        " aus clip.mp4 -o out -q --workers 1 " + models_arg()),
            0);
  const auto report = [&] {
    const cli_run run = run_cli("report " + (dir / "out").string() + " -q --stills 0");
    EXPECT_EQ(run.status, 0) << run.output;
    std::ifstream page(dir / "out" / "clip_report.html");
    std::ifstream index(dir / "out" / "index.html");
    return std::pair{std::string((std::istreambuf_iterator<char>(page)), {}),
                     std::string((std::istreambuf_iterator<char>(index)), {})};
  };
  const auto input_row = [](const std::string& page) {
    const auto start = page.find("input analysed</th>");
    return start == std::string::npos ? std::string()
                                      : page.substr(start, page.find("</tr>", start) - start);
  };
  const char* const warning = "class=\"warning input-changed\"";

  auto [page, index] = report();
  EXPECT_NE(page.find("AU files made by</th><td class=\"l\"><code>" +
                      std::string(FACEMIRROR_CLI_PATH) + " aus clip.mp4 -o out"),
            std::string::npos);
  EXPECT_NE(page.find("run in</th><td class=\"l\"><code>" + dir.string() + "</code>"),
            std::string::npos);
  EXPECT_TRUE(std::regex_search(
      page, std::regex("AU files finished</th><td class=\"l\">20[0-9]{2}-[0-9]{2}-[0-9]{2} "
                       "[0-9]{2}:[0-9]{2}:[0-9]{2} UTC</td>")));
  EXPECT_NE(input_row(page).find("<code>" + clip.string() + "</code>, fingerprint <code>size "),
            std::string::npos)
      << input_row(page);
  EXPECT_NE(input_row(page).find("unchanged since"), std::string::npos) << input_row(page);
  EXPECT_EQ(page.find(warning), std::string::npos);
  // The options that shaped the AU files, the defaults too; the task plan, by its checksum.
  EXPECT_NE(page.find("options</th><td class=\"l\">au-static: no; consensus: 1; "),
            std::string::npos);
  EXPECT_EQ(page.find("task plan</th>"), std::string::npos);
  std::ofstream(dir / "out" / "clip_tasks.csv") << "task,start_s,end_s\nrest,0,0.3\n";
  std::tie(page, index) = report();
  EXPECT_TRUE(std::regex_search(
      page,
      std::regex("task plan</th><td class=\"l\">clip_tasks.csv, SHA-256 <code>[0-9a-f]{64}")));
  EXPECT_EQ(index.find(warning), std::string::npos);

  std::ofstream(clip, std::ios::app) << "re-exported";
  std::tie(page, index) = report();
  EXPECT_NE(input_row(page).find("changed since: not the file analysed"), std::string::npos)
      << input_row(page);
  EXPECT_LT(page.find(warning), page.find("<table"));  // above the summary table
  EXPECT_NE(index.find(warning), std::string::npos);

  fs::remove(clip);
  std::tie(page, index) = report();
  EXPECT_NE(input_row(page).find("not readable here now"), std::string::npos) << input_row(page);
  EXPECT_EQ(page.find(warning), std::string::npos);
}

TEST(cli_test, csv_matches_the_reference_rows_and_columns) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path out = scratch_dir();
  const cli_run run = run_cli("aus " + sample_video("changeLighting.wmv").string() + " -o " +
                              out.string() + " " + models_arg());
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("ok "), std::string::npos) << run.output;
  const auto ours = read_lines(out / "changeLighting.csv");
  const auto reference = read_lines(*shared_dir() / "reference/openface22/changeLighting.csv");
  ASSERT_EQ(ours.size(), reference.size());
  // Every column we write is one of OpenFace's, in OpenFace's order.
  const auto ref_names = split_fields(reference[0]);
  size_t pos = 0;
  for (const auto& name : split_fields(ours[0])) {
    while (pos < ref_names.size() && ref_names[pos] != name)
      ++pos;
    ASSERT_LT(pos, ref_names.size()) << name;
  }
  int successes = 0, same_confidence = 0;
  for (size_t i = 1; i < ours.size(); ++i) {
    const auto ours_row = split_fields(ours[i]);
    const auto ref_row = split_fields(reference[i]);
    EXPECT_EQ(ours_row[0], ref_row[0]);  // 1-based frame
    EXPECT_EQ(ours_row[2], ref_row[2]);  // timestamp from the stream
    EXPECT_EQ(ours_row[4], ref_row[4]) << "success, frame " << ours_row[0];
    successes += ours_row[4] == "1";
    same_confidence += ours_row[3] == ref_row[3];
  }
  EXPECT_GE(successes, static_cast<int>(0.99 * (ours.size() - 1)));
  // The detection validator on our own CLNF landmarks: measured 88/88 equal to 2 decimals.
  EXPECT_GE(same_confidence, static_cast<int>(0.97 * (ours.size() - 1)));
}

// The face vanishes for ten black frames: the validator must reject the followed fit there, and
// detection must find the face again when it returns.
TEST(cli_test, a_vanished_face_fails_and_is_found_again) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path out = scratch_dir();
  const fs::path clip = out / "gap.mp4";
  ASSERT_EQ(run_command("ffmpeg -v error -y -i " + sample_video("default.wmv").string() +
                        " -vf \"drawbox=enable='between(n,20,29)':x=0:y=0:w=iw:h=ih:color=black:"
                        "t=fill\" -frames:v 50 -c:v libx264 -crf 12 -pix_fmt yuv420p " +
                        clip.string()),
            0);
  const cli_run run = run_cli("aus " + clip.string() + " -o " + out.string() +
                              " -q --hog --aligned " + models_arg());
  ASSERT_EQ(run.status, 0) << run.output;
  const auto lines = read_lines(out / "gap.csv");
  ASSERT_EQ(lines.size(), 51u);
  // OpenFace's HOG record is flagged invalid and its aligned face black where no face was
  // tracked (the failed frame's AU features).
  const std::vector<hog_record> hog = read_hog_file(out / "gap.hog");
  ASSERT_EQ(hog.size(), 50u);
  for (size_t i = 1; i < lines.size(); ++i) {
    const bool black = i >= 21 && i <= 30;
    EXPECT_EQ(split_fields(lines[i])[4], black ? "0" : "1") << "frame " << i;
    EXPECT_EQ(hog[i - 1].valid, !black) << "frame " << i;
    const cv::Mat face = read_bmp(out / "gap_aligned" / aligned_face_name(int64_t(i)));
    EXPECT_EQ(cv::countNonZero(face.reshape(1)) == 0, black) << "frame " << i;
  }
}

TEST(cli_test, bad_inputs_fail_alone_and_leave_no_csv) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path in = dir / "in";
  const fs::path out = dir / "out";
  fs::create_directories(in);
  std::ofstream(in / "empty.mp4").close();
  std::ofstream(in / "notes.mp4") << "this is not a video\n";
  ASSERT_EQ(run_command("head -c 300000 '" + sample_video("subj01_timepoint01.mp4").string() +
                        "' > '" + (in / "truncated.mp4").string() + "'"),
            0);
  fs::copy_file(sample_video("changeLighting.wmv"), in / "good.wmv");
  // With OpenFace's HOG file and aligned faces, which must not be left behind either.
  const cli_run run = run_cli("aus " + in.string() + " " + (dir / "missing.avi").string() + " -o " +
                              out.string() + " --hog --aligned " + models_arg());
  EXPECT_EQ(run.status, 1) << run.output;
  for (const char* name : {"empty.mp4", "notes.mp4", "truncated.mp4", "missing.avi"}) {
    // One line per bad input: "FAILED ... <path>: <reason>".
    const std::string path = ((name[0] == 'm' ? dir : in) / name).string();
    const auto at = run.output.find(path + ": ");
    ASSERT_NE(at, std::string::npos) << name << "\n" << run.output;
    const auto line_start = run.output.rfind('\n', at) + 1;
    EXPECT_EQ(run.output.compare(line_start, 7, "FAILED "), 0) << run.output;
    const std::string stem = fs::path(name).stem().string();
    for (const std::string& file :
         {stem + ".csv", stem + ".hog", stem + "_aligned", stem + "_of_details.txt"})
      EXPECT_FALSE(fs::exists(out / file)) << file;
  }
  EXPECT_TRUE(fs::exists(out / "good.csv"));
  EXPECT_TRUE(fs::exists(out / "good.hog"));
  EXPECT_TRUE(fs::exists(out / "good_aligned/frame_det_00_000088.bmp"));
  EXPECT_TRUE(fs::exists(out / "good_of_details.txt"));
  EXPECT_FALSE(has_partial_files(out));
}

// Without --workers, one worker per CPU the process may use (taskset, a Slurm job's cpuset),
// not per CPU of the machine: a task given 1 of 64 cores would start 64 workers on it.
TEST(cli_test, default_workers_are_the_cpus_the_process_may_use) {
  FACEMIRROR_REQUIRE_SHARED();
  cpu_set_t before;
  ASSERT_EQ(::sched_getaffinity(0, sizeof(before), &before), 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &before)) {
      CPU_SET(cpu, &one);
      break;
    }
  }
  ASSERT_EQ(::sched_setaffinity(0, sizeof(one), &one), 0);  // inherited by the CLI
  const cli_run run =
      run_cli("aus " + sample_video("changeLighting.wmv").string() + " -o " +
              (scratch_dir() / "out").string() + " --progress none " + models_arg());
  ASSERT_EQ(::sched_setaffinity(0, sizeof(before), &before), 0);
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find(", 1 worker\n"), std::string::npos) << run.output;
}

// A video's rows wait in a temporary file until its AU columns are known: in $TMPDIR (a batch
// system's per-job scratch, not the node's shared /tmp) when set, and a TMPDIR that cannot
// hold it is named in the video's failure.
TEST(cli_test, rows_in_the_making_go_to_tmpdir) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const char* before = std::getenv("TMPDIR");
  const std::string saved = before != nullptr ? before : "";
  const auto run_with_tmpdir = [&](const fs::path& tmpdir, const fs::path& out) {
    ::setenv("TMPDIR", tmpdir.c_str(), 1);
    const cli_run run = run_cli("aus " + sample_video("changeLighting.wmv").string() + " -o " +
                                out.string() + " -q " + models_arg());
    if (before != nullptr)
      ::setenv("TMPDIR", saved.c_str(), 1);
    else
      ::unsetenv("TMPDIR");
    return run;
  };
  const cli_run missing = run_with_tmpdir(dir / "no_such_scratch", dir / "a");
  EXPECT_EQ(missing.status, 1) << missing.output;
  // The failure leads with the video: in a batch, which one failed is the first thing to know.
  EXPECT_NE(missing.output.find("FAILED '" + sample_video("changeLighting.wmv").string() +
                                "': cannot make a temporary file in '" +
                                (dir / "no_such_scratch").string() + "' ($TMPDIR)"),
            std::string::npos)
      << missing.output;
  EXPECT_FALSE(fs::exists(dir / "a/changeLighting.csv"));
  fs::create_directories(dir / "scratch");
  const cli_run scratch = run_with_tmpdir(dir / "scratch", dir / "b");
  EXPECT_EQ(scratch.status, 0) << scratch.output;
  EXPECT_TRUE(fs::exists(dir / "b/changeLighting.csv"));
  EXPECT_TRUE(fs::is_empty(dir / "scratch"));  // nothing named is left there
}

// A video in which no face is ever found is analysed (a CSV of unsuccessful rows, as OpenFace
// writes it) but is of no use to a study, so the run says so, even with -q; so for an image.
TEST(cli_test, a_video_without_a_face_is_written_with_a_warning) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path blank = dir / "blank.mp4";
  const fs::path good = dir / "good.mp4";
  ASSERT_EQ(run_command("ffmpeg -v error -y -f lavfi -i color=c=gray:s=320x240:r=25:d=1 "
                        "-c:v libx264 -pix_fmt yuv420p " +
                        blank.string()),
            0);
  ASSERT_EQ(run_command("ffmpeg -v error -y -i " + sample_video("default.wmv").string() +
                        " -frames:v 10 -c:v libx264 -crf 12 -pix_fmt yuv420p " + good.string()),
            0);
  // A still image's CSV has one row per face: none here, and the warning says so.
  const fs::path blank_image = dir / "blank_image.png";
  ASSERT_EQ(run_command("ffmpeg -v error -y -f lavfi -i color=c=gray:s=320x240 -frames:v 1 " +
                        blank_image.string()),
            0);
  const cli_run run =
      run_cli("aus " + blank.string() + " " + good.string() + " " + blank_image.string() + " -o " +
              (dir / "out").string() + " -q " + models_arg());
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("WARNING " + blank.string() +
                            ": no face found in any frame (every row has success 0)"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("WARNING " + blank_image.string() +
                            ": no face found (its CSV has the header only"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.find("WARNING " + good.string()), std::string::npos) << run.output;
  const auto lines = read_lines(dir / "out/blank.csv");
  ASSERT_EQ(lines.size(), 26u);
  EXPECT_EQ(split_fields(lines[1])[4], "0");
  EXPECT_EQ(read_lines(dir / "out/blank_image.csv").size(), 1u);
  // FaceLandmarkImg writes no CSV for an image without a face; `openface-img` neither, and its
  // details file names none (OpenFace writes those lines as it opens the CSV).
  const cli_run drop_in = run_cli("openface-img -f " + blank_image.string() + " -out_dir " +
                                  (dir / "of").string() + " " + models_arg());
  EXPECT_EQ(drop_in.status, 0) << drop_in.output;
  EXPECT_FALSE(fs::exists(dir / "of/blank_image.csv"));
  const auto details = read_lines(dir / "of/blank_image_of_details.txt");
  ASSERT_EQ(details.size(), 3u);
  EXPECT_EQ(details[2].rfind("Camera parameters:", 0), 0u) << details[2];
  EXPECT_NE(drop_in.output.find("(no CSV, as OpenFace's FaceLandmarkImg writes none)"),
            std::string::npos)
      << drop_in.output;
  EXPECT_NE(
      drop_in.output.find("ok     " + blank_image.string() + " -> no CSV (a photograph, 0 faces"),
      std::string::npos)
      << drop_in.output;
  // FaceLandmarkVidMulti opens its CSV at the first face too: `openface-multi` writes none for
  // a video without one; `aus --max-faces` writes the header, saying it was analysed.
  const cli_run multi = run_cli("openface-multi -f " + blank.string() + " -out_dir " +
                                (dir / "multi").string() + " " + models_arg());
  EXPECT_EQ(multi.status, 0) << multi.output;
  EXPECT_FALSE(fs::exists(dir / "multi/blank.csv"));
  EXPECT_EQ(read_lines(dir / "multi/blank_of_details.txt").size(), 3u);
  EXPECT_NE(multi.output.find("no face found in any frame (no CSV, as OpenFace's "
                              "FaceLandmarkVidMulti writes none)"),
            std::string::npos)
      << multi.output;
  const cli_run several = run_cli("aus " + blank.string() + " -o " + (dir / "several").string() +
                                  " --max-faces 2 -q " + models_arg());
  EXPECT_EQ(several.status, 0) << several.output;
  EXPECT_EQ(read_lines(dir / "several/blank.csv").size(), 1u);
  EXPECT_NE(several.output.find("(its CSV has the header only: one row per tracked face"),
            std::string::npos)
      << several.output;
}

// A few damaged bytes in a recording cost the frames they touch, not the video (OpenFace reads
// on past them too): every frame keeps its row, the warning names the damaged ones, and the
// bytes still do not depend on the workers or the isolation (segments start inside the damage).
TEST(cli_test, damaged_data_mid_file_costs_its_frames_not_the_video) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path clip = dir / "clip.mp4";
  ASSERT_EQ(
      run_command("ffmpeg -v error -y -i " + sample_video("default.wmv").string() +
                  " -frames:v 45 -c:v libx264 -g 15 -bf 0 -pix_fmt yuv420p -an " + clip.string()),
      0);
  const fs::path damaged = damaged_copy(clip, dir / "damaged.mp4", 20);
  std::string first;
  for (const char* how : {"-w 1", "-w 2", "-w 2 --isolation process"}) {
    const fs::path out = dir / "out";
    const cli_run run = run_cli("aus " + damaged.string() + " -o " + out.string() +
                                " --progress json --segment-frames 8 " + how + " " + models_arg());
    ASSERT_EQ(run.status, 0) << how << "\n" << run.output;
    // The segment redone on one thread counts its frames once: progress ends at 45 of 45.
    std::istringstream events(run.output);
    int64_t last_done = -1;
    for (std::string line; std::getline(events, line);) {
      if (line.rfind("{", 0) != 0)
        continue;
      const auto number = [&](const std::string& key) {
        const auto at = line.find("\"" + key + "\":");
        return at == std::string::npos ? -1 : std::stoll(line.substr(at + key.size() + 3));
      };
      EXPECT_LE(number("frames_done"), 45) << how << ": " << line;
      EXPECT_LE(number("batch_frames_done"), 45) << how << ": " << line;
      last_done = number("frames_done");
    }
    EXPECT_EQ(last_done, 45) << how;
    // Frame 21 (the damaged packet) to the key frame at 31, CSV numbers.
    EXPECT_NE(run.output.find("WARNING " + damaged.string() + ": the file holds damaged data: "),
              std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find(" (21"), std::string::npos) << run.output;
    const std::string csv = read_file(out / "damaged.csv");
    EXPECT_EQ(read_lines(out / "damaged.csv").size(), 46u);
    if (first.empty())
      first = csv;
    else
      EXPECT_TRUE(csv == first) << how << " changed the CSV bytes";
    fs::remove_all(out);
  }
  // The mirror job writes every frame too.
  const cli_run mirror = run_cli("mirror " + damaged.string() + " -o " + (dir / "mirror").string() +
                                 " -q " + models_arg());
  ASSERT_EQ(mirror.status, 0) << mirror.output;
  EXPECT_EQ(read_lines(dir / "mirror/damaged_head_pose.csv").size(), 46u);
  EXPECT_EQ(read_lines(dir / "mirror/damaged_left_mirrored.csv").size(), 46u);
  // Several faces are tracked on one worker per video: the same frames are said damaged.
  const cli_run multi = run_cli("aus " + damaged.string() + " -o " + (dir / "multi").string() +
                                " --max-faces 2 --progress none " + models_arg());
  ASSERT_EQ(multi.status, 0) << multi.output;
  const auto warning_at = multi.output.find("WARNING " + damaged.string() + ": the file holds ");
  ASSERT_NE(warning_at, std::string::npos) << multi.output;
  const std::string warning =
      multi.output.substr(warning_at, multi.output.find('\n', warning_at) - warning_at);
  EXPECT_NE(warning.find(" (21"), std::string::npos) << warning;

  // HEVC with B-frames, damaged where its decoder says nothing and patches nothing: the garbage
  // may refer to any picture the decoder holds, which once depended on the worker count.
  const fs::path hevc = dir / "hevc.mp4";
  ASSERT_EQ(run_command("ffmpeg -v error -y -i " + sample_video("default.wmv").string() +
                        " -frames:v 45 -c:v libx265 -g 15 -pix_fmt yuv420p -an -x265-params "
                        "log-level=none " +
                        hevc.string()),
            0);
  const fs::path silent = damaged_copy(hevc, dir / "silent.mp4", 22, 1, 9);
  first.clear();
  for (const char* how : {"-w 1", "-w 2", "-w 2 --isolation process"}) {
    const fs::path out = dir / "hevc_out";
    const cli_run run = run_cli("aus " + silent.string() + " -o " + out.string() +
                                " -q --segment-frames 8 " + how + " " + models_arg());
    ASSERT_EQ(run.status, 0) << how << "\n" << run.output;
    const std::string csv = read_file(out / "silent.csv");
    if (first.empty())
      first = csv;
    else
      EXPECT_TRUE(csv == first) << how << " changed the CSV bytes";
    fs::remove_all(out);
  }
}

// A file of two video streams (two cameras in one file) is read as OpenFace 2.2 reads it, the
// first stream, and the warning says so; a cover picture is not a video stream.
TEST(cli_test, of_two_video_streams_the_first_is_analysed_and_said_to_be) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const auto clip = [&](const char* video, int frames, const fs::path& out) {
    return run_command("ffmpeg -v error -y -i " + sample_video(video).string() + " -frames:v " +
                       std::to_string(frames) + " -c:v libx264 -preset veryfast -an " +
                       out.string());
  };
  ASSERT_EQ(clip("default.wmv", 8, dir / "first.mp4"), 0);
  ASSERT_EQ(clip("changeLighting.wmv", 5, dir / "second.mp4"), 0);
  ASSERT_EQ(run_command("ffmpeg -v error -y -i " + (dir / "first.mp4").string() + " -i " +
                        (dir / "second.mp4").string() + " -map 0:v -map 1:v -c copy " +
                        (dir / "two.mkv").string()),
            0);
  ASSERT_EQ(run_command("ffmpeg -v error -y -i " + (dir / "second.mp4").string() + " -frames:v 1 " +
                        (dir / "cover.png").string()),
            0);
  ASSERT_EQ(run_command("ffmpeg -v error -y -i " + (dir / "first.mp4").string() + " -i " +
                        (dir / "cover.png").string() +
                        " -map 0:v -map 1 -c:v:0 copy -c:v:1 png -disposition:v:1 attached_pic " +
                        (dir / "cover.mp4").string()),
            0);
  const cli_run run =
      run_cli("aus " + (dir / "two.mkv").string() + " " + (dir / "cover.mp4").string() + " -o " +
              (dir / "out").string() + " -q -w 1 " + models_arg());
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("WARNING " + (dir / "two.mkv").string() +
                            ": the file holds 2 video streams: the first was analysed (8 frames)"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.find("cover.mp4: the file holds"), std::string::npos) << run.output;
  EXPECT_EQ(read_lines(dir / "out" / "two.csv").size(), 9u);
  EXPECT_EQ(read_lines(dir / "out" / "cover.csv").size(), 9u);
  // Several faces take another path through the engine: said there too.
  const cli_run multi = run_cli("aus " + (dir / "two.mkv").string() + " -o " +
                                (dir / "multi").string() + " -q --max-faces 2 " + models_arg());
  ASSERT_EQ(multi.status, 0) << multi.output;
  EXPECT_NE(multi.output.find("two.mkv: the file holds 2 video streams"), std::string::npos)
      << multi.output;
}

// A file whose frames the decoder skips up to its end reads as a cut file: it fails rather than
// giving black rows.
TEST(cli_test, a_video_with_no_decodable_frame_fails) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path clip = dir / "intra.mp4";
  ASSERT_EQ(run_command("ffmpeg -v error -y -f lavfi -i testsrc=size=320x240:rate=25 -t 0.4 "
                        "-c:v mpeg4 -g 1 -bf 0 -q:v 3 " +
                        clip.string()),
            0);
  const size_t packets = packet_spans(clip).size();
  ASSERT_EQ(packets, 10u);
  for (size_t i = 1; i < packets; ++i)  // the first stays whole: the probe needs its size
    make_not_coded(clip, i);
  const cli_run run =
      run_cli("aus " + clip.string() + " -o " + (dir / "out").string() + " " + models_arg());
  EXPECT_EQ(run.status, 1) << run.output;
  EXPECT_NE(
      run.output.find("FAILED cannot read video " + clip.string() +
                      ": decoding stopped at frame 2 of 10; the file is truncated or corrupt"),
      std::string::npos)
      << run.output;
  EXPECT_FALSE(fs::exists(dir / "out/intra.csv"));
}

TEST(cli_test, same_bytes_whatever_the_worker_count) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const std::string input = sample_video("changeLighting.wmv").string();
  std::string first;
  for (int workers : {1, 2, 3, 8}) {
    const fs::path out = dir / ("w" + std::to_string(workers));
    const cli_run run = run_cli("aus " + input + " -o " + out.string() + " " + models_arg() +
                                " --segment-frames 20 --workers " + std::to_string(workers));
    ASSERT_EQ(run.status, 0) << run.output;
    const std::string csv = read_file(out / "changeLighting.csv");
    ASSERT_FALSE(csv.empty());
    if (first.empty()) {
      first = csv;
    } else {
      EXPECT_TRUE(csv == first) << "workers=" << workers << " changed the CSV bytes";
    }
  }
}

TEST(cli_test, face_threshold_is_honoured) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path out = scratch_dir();
  // No face in these videos scores 5: every row must say success 0, and the run still succeeds.
  const cli_run run = run_cli("aus " + sample_video("changeLighting.wmv").string() + " -o " +
                              out.string() + " " + models_arg() + " --no-aus --face-threshold 5");
  ASSERT_EQ(run.status, 0) << run.output;
  const auto lines = read_lines(out / "changeLighting.csv");
  ASSERT_EQ(lines.size(), 89u);
  for (size_t i = 1; i < lines.size(); ++i)
    EXPECT_EQ(split_fields(lines[i])[4], "0") << i;
}

TEST(cli_test, json_progress_is_one_object_per_line) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path out = scratch_dir();
  const cli_run run = run_cli("aus " + sample_video("changeLighting.wmv").string() + " -o " +
                              out.string() + " " + models_arg() + " --progress json");
  ASSERT_EQ(run.status, 0) << run.output;
  int progress_lines = 0;
  std::istringstream lines(run.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("{", 0) != 0)
      continue;
    ++progress_lines;
    EXPECT_EQ(line.back(), '}');
    for (const char* key :
         {"\"video\"", "\"frames_done\"", "\"frames_total\"", "\"fps\"", "\"stage\""}) {
      EXPECT_NE(line.find(key), std::string::npos) << line;
    }
  }
  EXPECT_GE(progress_lines, 88 / 10);
  EXPECT_NE(run.output.find("\"stage\":\"done\""), std::string::npos);
}

// A sample video copied into a scratch folder as clip.wmv and analysed once into out/ by `args`.
struct analysed_clip {
  fs::path clip, out;
  std::string args;
};

void analyse_a_copied_clip(analysed_clip& analysed) {
  const fs::path dir = scratch_dir();
  analysed.clip = dir / "clip.wmv";
  analysed.out = dir / "out";
  fs::copy_file(sample_video("changeLighting.wmv"), analysed.clip);
  analysed.args =
      "aus " + analysed.clip.string() + " -o " + analysed.out.string() + " " + models_arg();
  ASSERT_EQ(run_cli(analysed.args).status, 0);
}

// The name a writer that is gone (a child that has exited and been reaped) gave its partial
// file of `target`: what a run killed with SIGKILL leaves.
fs::path orphaned_partial_of(const fs::path& target) {
  const pid_t gone = ::fork();
  if (gone == 0)
    ::_exit(0);
  EXPECT_GT(gone, 0);
  ::waitpid(gone, nullptr, 0);
  char host[256] = {};
  EXPECT_EQ(::gethostname(host, sizeof(host) - 1), 0);
  return target.string() + ".partial-" + std::string(host) + "-" + std::to_string(gone) + "-0";
}

// Outputs whose record cannot be written are redone by every rerun: the run has not done its
// work, and says so in its exit status (it once said "failed 0" and exited 0).
TEST(cli_test, outputs_that_cannot_be_recorded_fail_the_run) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path clip = dir / "clip.wmv";
  fs::copy_file(sample_video("changeLighting.wmv"), clip);
  fs::create_directories(dir / "out");
  std::ofstream(dir / "out" / ".facemirror") << "a file where the records' folder goes";
  const cli_run run =
      run_cli("aus " + clip.string() + " -o " + (dir / "out").string() + " " + models_arg());
  EXPECT_EQ(run.status, 1) << run.output;
  EXPECT_NE(run.output.find("FAILED '" + clip.string() +
                            "': its outputs are written, but what made them is not recorded ("),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("done 0, skipped 0, failed 1"), std::string::npos) << run.output;
}

// --timeout inf is no limit (it once overflowed the clock's nanoseconds and failed every video).
TEST(cli_test, an_infinite_timeout_is_no_limit) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  ASSERT_EQ(run_command("ffmpeg -v error -y -i " + sample_video("changeLighting.wmv").string() +
                        " -frames:v 6 -c:v libx264 -pix_fmt yuv420p " + (dir / "a.mp4").string()),
            0);
  const cli_run run = run_cli("aus " + (dir / "a.mp4").string() + " -o " + (dir / "out").string() +
                              " --isolation process --timeout inf -q " + models_arg());
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(read_lines(dir / "out" / "a.csv").size(), 7u);
}

// A video's record is written once, as it finishes: another run may write the video again
// while this one goes on (with --force and other options), and its record is then the one that
// holds. It was written again at the batch's end, and a later run kept the other run's CSV as
// if made with this one's options.
TEST(cli_test, a_record_is_not_written_again_at_the_batchs_end) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  ASSERT_EQ(run_command("ffmpeg -v error -y -i " + sample_video("changeLighting.wmv").string() +
                        " -frames:v 50 -c:v libx264 -pix_fmt yuv420p " + (dir / "a.mp4").string()),
            0);
  fs::copy_file(sample_video("changeLighting.wmv"), dir / "b.wmv");
  const fs::path out = dir / "out";
  cli_run run;
  std::thread batch([&] {
    run = run_cli("aus " + (dir / "a.mp4").string() + " " + (dir / "b.wmv").string() + " -o " +
                  out.string() + " -w 1 -q --segment-frames 1000 " + models_arg());
  });
  // One worker, one segment each: one video is done while the other runs.
  const fs::path records = out / ".facemirror";
  const auto done = [&](const char* stem) {
    return fs::exists(records / (stem + std::string(".aus.json")));
  };
  for (int i = 0; i < 6000 && !done("a") && !done("b"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!done("a") && !done("b")) {
    batch.join();  // a thread left running would end the test binary
    FAIL() << "no video was done within 60 s: " << run.output;
  }
  const fs::path first = records / (done("a") ? "a.aus.json" : "b.aus.json");
  const bool other_running = !(done("a") && done("b"));
  {
    std::ofstream another(first, std::ios::trunc);
    another << "another run's record";
  }
  batch.join();
  ASSERT_EQ(run.status, 0) << run.output;
  ASSERT_TRUE(other_running) << "both videos were done before a record was replaced: no test";
  EXPECT_EQ(read_file(first), "another run's record");
}

// A run killed after committing a video's outputs and before committing its record leaves the
// record's partial file: the rerun redoes that video (what made the outputs is not recorded)
// rather than taking them for an older version's, and so writes the record and removes the
// orphan (kill_resume_aus_test once found both missing after such a kill).
TEST(cli_test, outputs_whose_record_a_killed_run_left_partial_are_redone) {
  FACEMIRROR_REQUIRE_SHARED();
  analysed_clip analysed;
  ASSERT_NO_FATAL_FAILURE(analyse_a_copied_clip(analysed));
  const auto& [clip, out, args] = analysed;
  const fs::path record = out / ".facemirror" / "clip.aus.json";
  const fs::path orphan = orphaned_partial_of(record);
  fs::rename(record, orphan);
  const cli_run rerun = run_cli(args);
  EXPECT_EQ(rerun.status, 0) << rerun.output;
  EXPECT_NE(rerun.output.find("redo   " + clip.string() +
                              " (its run was stopped before "
                              "recording it)"),
            std::string::npos)
      << rerun.output;
  EXPECT_TRUE(fs::exists(record));
  EXPECT_FALSE(fs::exists(orphan));
  // Files of the outputs' names that no run recorded are not taken for complete outputs
  // (another program's, OpenFace's <stem>.csv stopped halfway, an empty file): redone, and
  // `summary` calls the video missing until then.
  const std::string csv = read_file(out / "clip.csv");
  const fs::path manifest = out.parent_path() / "manifest.txt";
  std::ofstream(manifest) << clip.string() << "\n";
  for (const std::string& content : {std::string(), csv.substr(0, csv.size() / 2), csv}) {
    std::ofstream(out / "clip.csv", std::ios::trunc) << content;
    fs::remove(record);
    const cli_run summary = run_cli("summary " + out.string() + " --manifest " + manifest.string());
    EXPECT_NE(summary.output.find("no record of what made its outputs"), std::string::npos)
        << summary.output;
    const cli_run unrecorded = run_cli(args);
    EXPECT_NE(
        unrecorded.output.find("redo   " + clip.string() + " (no record of what made its outputs)"),
        std::string::npos)
        << unrecorded.output;
    EXPECT_TRUE(read_file(out / "clip.csv") == csv);
    EXPECT_TRUE(fs::exists(record));
  }
}

// A rerun skips a video only when everything this run asks for is there and the last attempt
// did not fail: outputs asked for only now (--hog) are made, and a --force redo that failed
// (its older outputs still on disk) is tried again, not taken as done.
TEST(cli_test, a_rerun_skips_only_what_is_complete) {
  FACEMIRROR_REQUIRE_SHARED();
  analysed_clip analysed;
  ASSERT_NO_FATAL_FAILURE(analyse_a_copied_clip(analysed));
  const auto& [clip, out, args] = analysed;
  // A run killed while it wrote the CSV again: the skipped video's leftover goes.
  const fs::path leftover = orphaned_partial_of(out / "clip.csv");
  std::ofstream(leftover) << "frame,";
  const cli_run same = run_cli(args);
  EXPECT_NE(same.output.find("skip   " + clip.string()), std::string::npos) << same.output;
  EXPECT_FALSE(fs::exists(leftover));

  const cli_run with_hog = run_cli(args + " --hog");
  EXPECT_EQ(with_hog.status, 0) << with_hog.output;
  EXPECT_EQ(with_hog.output.find("skip   "), std::string::npos) << with_hog.output;
  EXPECT_TRUE(fs::exists(out / "clip.hog"));

  std::ofstream(clip, std::ios::trunc) << "not a video any more\n";
  EXPECT_EQ(run_cli(args + " --force").status, 1);
  EXPECT_TRUE(fs::exists(out / "clip.csv"));  // the older CSV stays, whole
  const cli_run after_failure = run_cli(args);
  EXPECT_EQ(after_failure.status, 1) << after_failure.output;
  EXPECT_EQ(after_failure.output.find("skip   "), std::string::npos) << after_failure.output;
  EXPECT_NE(after_failure.output.find(clip.string() + ": "), std::string::npos)
      << after_failure.output;
}

// A rerun keeps a video's outputs only when they were made from the file now under its name,
// with the options given now: two videos swapped by name (mv keeps their dates, so the older
// rule of dates skipped both and kept each CSV of the other) are redone, and so is a video
// whose CSV was written with other columns.
TEST(cli_test, a_rerun_redoes_a_swapped_video_and_other_options) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path in = dir / "in", out = dir / "out";
  fs::create_directories(in);
  for (const auto& [name, frames] : {std::pair{"a.mkv", 6}, std::pair{"b.mkv", 3}}) {
    ASSERT_EQ(
        run_command("ffmpeg -v error -y -i " + sample_video("changeLighting.wmv").string() +
                    " -frames:v " + std::to_string(frames) + " -c:v ffv1 " + (in / name).string()),
        0);
  }
  const std::string args = "aus " + in.string() + " -o " + out.string() + " " + models_arg();
  ASSERT_EQ(run_cli(args).status, 0);
  ASSERT_EQ(read_lines(out / "a.csv").size(), 7u);
  const cli_run same = run_cli(args);
  EXPECT_NE(same.output.find("skipped 2"), std::string::npos) << same.output;

  fs::rename(in / "a.mkv", in / "t.mkv");
  fs::rename(in / "b.mkv", in / "a.mkv");
  fs::rename(in / "t.mkv", in / "b.mkv");
  const cli_run swapped = run_cli(args);
  ASSERT_EQ(swapped.status, 0) << swapped.output;
  EXPECT_NE(swapped.output.find("redo   " + (in / "a.mkv").string() +
                                " (the input is not the file its outputs were made from)"),
            std::string::npos)
      << swapped.output;
  EXPECT_EQ(read_lines(out / "a.csv").size(), 4u);
  EXPECT_EQ(read_lines(out / "b.csv").size(), 7u);

  const cli_run fewer_columns = run_cli(args + " --outputs aus");
  ASSERT_EQ(fewer_columns.status, 0) << fewer_columns.output;
  EXPECT_NE(fewer_columns.output.find("made with other options: --outputs"), std::string::npos)
      << fewer_columns.output;
  EXPECT_EQ(split_fields(read_lines(out / "a.csv")[0]).size(), 5u + 35u);
  const cli_run again = run_cli(args + " --outputs aus --workers 2");  // workers shape nothing
  EXPECT_NE(again.output.find("skipped 2"), std::string::npos) << again.output;

  // A video replaced by one that cannot be read: its redo fails, and so does every rerun, until
  // it is fixed (the record of what the outputs were made from once went with the failed redo,
  // and the next run, judging by dates, skipped it and exited 0 on the other file's CSV).
  std::ofstream(in / "t.mkv") << "not a video\n";
  fs::last_write_time(in / "t.mkv", fs::last_write_time(in / "a.mkv"));  // as mv keeps it
  fs::rename(in / "t.mkv", in / "a.mkv");
  for (int run = 0; run < 2; ++run) {
    const cli_run broken = run_cli(args + " --outputs aus");
    EXPECT_EQ(broken.status, 1) << broken.output;
    EXPECT_NE(broken.output.find("FAILED "), std::string::npos) << broken.output;
    EXPECT_EQ(broken.output.find("skip   " + (in / "a.mkv").string()), std::string::npos)
        << broken.output;
  }
}

// A file name that is not UTF-8 (copied from another system): the run's records are written for
// every video, the name's odd bytes as U+FFFD (json once refused the whole record, and as the
// command line naming it is in each, every video of the run lost its record).
TEST(cli_test, a_file_name_that_is_not_utf8_keeps_the_runs_records) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path odd = dir / "bad\xff\xfename.mkv", good = dir / "good.mkv";
  ASSERT_EQ(run_command("ffmpeg -v error -y -i " + sample_video("changeLighting.wmv").string() +
                        " -frames:v 3 -c:v ffv1 " + good.string()),
            0);
  fs::copy_file(good, odd);
  const fs::path out = dir / "out";
  const cli_run run = run_cli("aus '" + odd.string() + "' " + good.string() + " -o " +
                              out.string() + " " + models_arg() + " --progress json");
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(run.output.find("json.exception"), std::string::npos) << run.output;
  EXPECT_TRUE(fs::exists(out / ".facemirror" / "good.aus.json"));
  EXPECT_TRUE(fs::exists(out / ".facemirror" / "bad\xef\xbf\xbd\xef\xbf\xbdname.aus.json") ||
              fs::exists(out / ".facemirror" / "bad\xff\xfename.aus.json"));
  // Both are whole records: the rerun skips them.
  const cli_run again = run_cli("aus '" + odd.string() + "' " + good.string() + " -o " +
                                out.string() + " " + models_arg());
  EXPECT_NE(again.output.find("skipped 2"), std::string::npos) << again.output;
}

// A file named like an image that is none fails alone, named with the reason; the good image of
// the batch is written and the bad one leaves no file.
TEST(cli_test, a_bad_image_fails_alone_naming_the_file) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path out = scratch_dir();
  const fs::path bad = out / "notes.jpg";
  std::ofstream(bad) << "not a photograph\n";
  const cli_run run = run_cli("aus " + bad.string() + " " + sample_video("sample1.jpg").string() +
                              " " + sample_video("sample2.jpg").string() + " -o " +
                              (out / "csv").string() + " " + models_arg() + " --progress none");
  EXPECT_EQ(run.status, 1) << run.output;
  EXPECT_NE(run.output.find("sample1.csv (a photograph, 1 face, "), std::string::npos)
      << run.output;
  // The faces said are the CSV's rows, also those the validator doubts (low confidence).
  EXPECT_NE(run.output.find("sample2.csv (a photograph, 3 faces, "), std::string::npos)
      << run.output;
  EXPECT_EQ(read_lines(out / "csv/sample2.csv").size(), 4u);
  EXPECT_NE(run.output.find(bad.string() + ": not an image"), std::string::npos) << run.output;
  EXPECT_TRUE(fs::exists(out / "csv/sample1.csv"));
  EXPECT_FALSE(fs::exists(out / "csv/notes.csv"));
}

// A photograph its EXIF tag shows turned (a phone's, stored sideways) is analysed as stored, as
// OpenFace reads it, and the run says so with the way to analyse it as shown.
TEST(cli_test, a_photograph_shown_turned_by_its_exif_tag_is_said_so) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path out = scratch_dir();
  std::ifstream in(sample_video("sample1.jpg"), std::ios::binary);
  const std::vector<unsigned char> jpeg((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  const fs::path tagged = out / "phone.jpg";
  std::ofstream(tagged, std::ios::binary) << with_exif_orientation(jpeg, 6);
  const cli_run run =
      run_cli("aus " + tagged.string() + " " + sample_video("sample2.jpg").string() + " -o " +
              (out / "csv").string() + " " + models_arg() + " -q");
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("WARNING " + tagged.string() +
                            ": its EXIF tag has it shown turned 90 degrees clockwise"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.find("sample2.jpg: its EXIF"), std::string::npos) << run.output;
}

// Still images in a batch with a video: each image's CSV in FaceLandmarkImg's layout (its exact
// header, one row per face in its order, its separators), its values close to OpenFace's, and
// the video's CSV as ever.
TEST(cli_test, still_images_are_written_in_face_landmark_imgs_layout) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path out = scratch_dir();
  const cli_run run = run_cli("aus " + sample_video("sample2.jpg").string() + " " +
                              sample_video("sample3_16bit_gray.png").string() + " " +
                              sample_video("changeLighting.wmv").string() + " -o " + out.string() +
                              " " + models_arg() + " -q --workers 2");
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_TRUE(fs::exists(out / "changeLighting.csv"));
  for (const std::string stem : {"sample2", "sample3_16bit_gray"}) {
    const auto ours = read_lines(out / (stem + ".csv"));
    const auto reference =
        read_lines(*shared_dir() / "reference/openface22/images" / (stem + ".csv"));
    ASSERT_EQ(ours.size(), reference.size()) << stem;
    EXPECT_EQ(ours[0], reference[0]) << stem << ": header differs";
    const auto names = split_fields(reference[0]);
    for (size_t row = 1; row < ours.size(); ++row) {
      const auto mine = split_fields(ours[row]), theirs = split_fields(reference[row]);
      ASSERT_EQ(mine.size(), theirs.size());
      EXPECT_EQ(mine[0], theirs[0]);  // face index
      EXPECT_EQ(mine[1], theirs[1]);  // confidence, three decimals
      double landmark_error = 0, gaze_error = 0;
      for (size_t c = 0; c < names.size(); ++c) {
        const double d = std::abs(std::stod(mine[c]) - std::stod(theirs[c]));
        if (names[c].rfind("x_", 0) == 0 || names[c].rfind("y_", 0) == 0)
          landmark_error += d / (2 * 68);
        if (names[c] == "gaze_angle_x" || names[c] == "gaze_angle_y")
          gaze_error = std::max(gaze_error, d);
        // Presences print as OpenFace prints them ("1.0"), intensities with two decimals.
        if (names[c].size() > 2 && names[c].substr(names[c].size() - 2) == "_c") {
          EXPECT_EQ(mine[c].size(), 3u) << names[c];
        }
      }
      EXPECT_LT(landmark_error, 0.1) << stem << " face " << row - 1;
      EXPECT_LE(gaze_error, 0.011) << stem << " face " << row - 1;
    }
  }
}

// --frame-stride N analyses frames 1, 1+N, ... as if the video held only those: its rows are
// those of a video made of exactly those frames (lossless, so the same pixels), under the
// container's frame numbers, for any worker count and isolation, one face or several.
TEST(cli_test, frame_stride_gives_the_rows_of_a_video_of_those_frames) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path clip = dir / "clip.mkv";
  const fs::path thin = dir / "thin.mkv";
  ASSERT_EQ(run_command("ffmpeg -v error -y -i " + sample_video("default.wmv").string() +
                        " -frames:v 62 -c:v ffv1 " + clip.string()),
            0);
  ASSERT_EQ(run_command("ffmpeg -v error -y -i " + clip.string() +
                        " -vf \"select='not(mod(n,3))'\" -fps_mode passthrough -c:v ffv1 " +
                        thin.string()),
            0);
  const auto run = [&](const fs::path& input, const std::string& folder,
                       const std::string& options) {
    const cli_run r = run_cli("aus " + input.string() + " -o " + (dir / folder).string() +
                              " -q --segment-frames 8 " + options + " " + models_arg());
    EXPECT_EQ(r.status, 0) << r.output;
    return read_lines(dir / folder / (input.stem().string() + ".csv"));
  };
  const auto strided = run(clip, "strided", "--frame-stride 3 --workers 2");
  const auto whole = run(thin, "thin", "--workers 2");
  ASSERT_EQ(strided.size(), 22u);  // header + frames 1, 4, ..., 61
  ASSERT_EQ(whole.size(), strided.size());
  EXPECT_EQ(strided[0], whole[0]);
  for (size_t row = 1; row < strided.size(); ++row) {
    auto ours = split_fields(strided[row]);
    auto theirs = split_fields(whole[row]);
    EXPECT_EQ(ours[0], std::to_string(3 * (row - 1) + 1));
    ours.erase(ours.begin());
    theirs.erase(theirs.begin());
    EXPECT_EQ(ours, theirs) << "row " << row;
  }
  EXPECT_EQ(run(clip, "strided_process", "--frame-stride 3 --workers 3 --isolation process"),
            strided);

  const auto multi = run(clip, "multi", "--frame-stride 3 --max-faces 2");
  const auto multi_whole = run(thin, "multi_thin", "--max-faces 2");
  ASSERT_EQ(multi.size(), multi_whole.size());
  ASSERT_GT(multi.size(), 2u);
  for (size_t row = 1; row < multi.size(); ++row) {
    auto ours = split_fields(multi[row]);
    auto theirs = split_fields(multi_whole[row]);
    EXPECT_EQ(std::stoi(ours[0]), 3 * (std::stoi(theirs[0]) - 1) + 1);
    ours.erase(ours.begin());
    theirs.erase(theirs.begin());
    EXPECT_EQ(ours, theirs) << "row " << row;
  }
}

}  // namespace
}  // namespace facemirror::test

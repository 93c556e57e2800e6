// The command line's INPUT... turned into jobs: which files of a folder are videos, a file given
// twice is one job, two files with one stem are refused (they would write one CSV).

#include "inputs.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_data.h"
#include <unistd.h>

namespace facemirror::cli {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> job_inputs(const input_plan& plan) {
  std::vector<std::string> names;
  for (const auto& job : plan.jobs)
    names.push_back(job.input.filename().string());
  return names;
}

// Camcorders write .MTS/.m2ts, phones .3gp, broadcast recorders .ts: a folder of them is a
// folder of videos, as a folder of .mp4 files is; notes and photos beside them are not, nor
// hidden files (macOS's ._NAME companions of clips copied to exFAT failed the batch).
TEST(inputs, a_folder_lists_every_common_video_container) {
  const fs::path dir = test::scratch_dir();
  for (const char* name :
       {"a.mp4", "b.MTS", "c.m2ts", "d.ts", "e.3gp", "f.mxf", "g.vob", "h.ogv", "i.dv", "j.y4m",
        "k.MOV", "notes.txt", "photo.jpg", "tasks.csv", "._a.mp4", ".hidden.mov"})
    std::ofstream(dir / name) << "x";
  const input_plan plan = plan_inputs({dir.string()}, dir / "out");
  EXPECT_EQ(job_inputs(plan),
            (std::vector<std::string>{"a.mp4", "b.MTS", "c.m2ts", "d.ts", "e.3gp", "f.mxf", "g.vob",
                                      "h.ogv", "i.dv", "j.y4m", "k.MOV"}));
  EXPECT_TRUE(plan.rejected.empty());
}

// The same file by two spellings, or by name and in its folder, is one job; another file of
// the same stem is refused, naming it; links of other names to one file are each a job of
// their own name (a de-identified cohort).
TEST(inputs, a_file_given_twice_is_one_job_and_a_second_stem_is_refused) {
  const fs::path dir = test::scratch_dir();
  fs::create_directories(dir / "in");
  fs::create_directories(dir / "other");
  std::ofstream(dir / "in/one.mp4") << "x";
  std::ofstream(dir / "other/one.mkv") << "x";
  const input_plan plan = plan_inputs(
      {(dir / "in/one.mp4").string(), (dir / "in/./one.mp4").string(), (dir / "in").string(),
       (dir / "other/../in/one.mp4").string(), (dir / "other/one.mkv").string()},
      dir / "out");
  ASSERT_EQ(plan.jobs.size(), 1u);
  EXPECT_EQ(plan.jobs[0].input, dir / "in/one.mp4");
  EXPECT_EQ(plan.jobs[0].output_csv, dir / "out/one.csv");
  ASSERT_EQ(plan.rejected.size(), 1u);
  EXPECT_NE(plan.rejected[0].line().find("other/one.mkv': the same name as '" +
                                         (dir / "in/one.mp4").string() +
                                         "' (one): their outputs would overwrite each other"),
            std::string::npos)
      << plan.rejected[0].line();

  fs::create_directories(dir / "deidentified");
  fs::create_symlink(dir / "in/one.mp4", dir / "deidentified/patient01.mp4");
  fs::create_symlink(dir / "in/one.mp4", dir / "deidentified/patient02.mp4");
  const input_plan links = plan_inputs({(dir / "deidentified").string()}, dir / "out");
  ASSERT_EQ(links.jobs.size(), 2u);
  EXPECT_EQ(links.jobs[0].output_csv, dir / "out/patient01.csv");
  EXPECT_EQ(links.jobs[1].output_csv, dir / "out/patient02.csv");
  EXPECT_TRUE(links.rejected.empty());
}

// Frame folders are named as OpenFace names them, by their whole name: two sessions'
// "session.2024-01-05" and "session.2024-01-06" are two CSVs, not one "session.csv" twice.
TEST(inputs, a_frame_folders_dots_are_part_of_its_name) {
  const fs::path dir = test::scratch_dir();
  for (const char* day : {"session.2024-01-05", "session.2024-01-06"})
    fs::create_directories(dir / day);
  const input_plan plan =
      plan_inputs({(dir / "session.2024-01-05").string(), (dir / "session.2024-01-06/").string()},
                  dir / "out", /*frame_folders=*/true);
  ASSERT_EQ(plan.jobs.size(), 2u);
  EXPECT_TRUE(plan.rejected.empty());
  EXPECT_EQ(plan.jobs[0].output_csv, dir / "out/session.2024-01-05.csv");
  EXPECT_EQ(plan.jobs[1].output_csv, dir / "out/session.2024-01-06.csv");
  EXPECT_EQ(input_stem(dir / "session.2024-01-05"), "session.2024-01-05");
  EXPECT_EQ(input_stem(dir / "clip.v2.mp4"), "clip.v2");  // a file's extension goes
  // A script run inside its frame folder gives "." (or "frames/.", ".."): the folder's name,
  // not outputs called "..csv".
  EXPECT_EQ(input_stem(dir / "session.2024-01-05/."), "session.2024-01-05");
  EXPECT_EQ(input_stem(dir / "session.2024-01-05/.."), dir.filename().string());
  const fs::path before = fs::current_path();
  fs::current_path(dir / "session.2024-01-05");
  const input_plan here = plan_inputs({"."}, dir / "out", /*frame_folders=*/true);
  fs::current_path(before);
  ASSERT_EQ(here.jobs.size(), 1u);
  EXPECT_EQ(here.jobs[0].output_csv, dir / "out/session.2024-01-05.csv");
}

// OpenFace's -of names each input's outputs: two files of one stem named apart are two jobs
// (they would overwrite each other otherwise); one file under two names is analysed once.
TEST(inputs, openface_output_names_name_the_jobs) {
  const fs::path dir = test::scratch_dir();
  for (const char* folder : {"a", "b"}) {
    fs::create_directories(dir / folder);
    std::ofstream(dir / folder / "clip.avi") << "x";
  }
  const std::string a = (dir / "a/clip.avi").string(), b = (dir / "b/clip.avi").string();
  const input_plan named = plan_inputs({a, b}, dir / "out", false, {"a_clip", "sub/b_clip"});
  ASSERT_EQ(named.jobs.size(), 2u);
  EXPECT_TRUE(named.rejected.empty());
  EXPECT_EQ(named.jobs[0].output_csv, dir / "out/a_clip.csv");
  EXPECT_EQ(named.jobs[1].output_csv, dir / "out/sub/b_clip.csv");
  // Inputs past the last name keep their stem, and still may not overwrite another's outputs.
  const input_plan one_named = plan_inputs({a, b}, dir / "out", false, {"clip"});
  ASSERT_EQ(one_named.jobs.size(), 1u);
  ASSERT_EQ(one_named.rejected.size(), 1u);
  EXPECT_NE(one_named.rejected[0].why.find("(clip): their outputs would overwrite each other"),
            std::string::npos);

  const input_plan twice = plan_inputs({a, a}, dir / "out", false, {"first", "second"});
  ASSERT_EQ(twice.jobs.size(), 1u);
  EXPECT_EQ(twice.jobs[0].output_csv, dir / "out/first.csv");
  ASSERT_EQ(twice.rejected.size(), 1u);
  EXPECT_NE(twice.rejected[0].why.find("given again under the name second: a file is analysed "
                                       "once per run"),
            std::string::npos)
      << twice.rejected[0].why;
}

// A folder without videos is refused with what it does hold: frames or photographs, or
// subfolders (which are not searched).
TEST(inputs, a_folder_without_videos_says_what_it_holds) {
  const fs::path dir = test::scratch_dir();
  fs::create_directories(dir / "frames");
  std::ofstream(dir / "frames/0001.jpg") << "x";
  fs::create_directories(dir / "patients/p01");
  const input_plan plan =
      plan_inputs({(dir / "frames").string(), (dir / "patients").string()}, dir / "out");
  ASSERT_EQ(plan.rejected.size(), 2u);
  EXPECT_NE(
      plan.rejected[0].line().find("folder holds no video files (its images: one video of frames, "
                                   "`facemirror aus --frames`"),
      std::string::npos)
      << plan.rejected[0].line();
  EXPECT_NE(plan.rejected[1].line().find("(its subfolders are not searched: give them)"),
            std::string::npos)
      << plan.rejected[1].line();
}

// A folder that cannot be listed is said so, not called empty.
TEST(inputs, a_folder_that_cannot_be_read_is_said_so) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root lists any folder";
  const fs::path dir = test::scratch_dir();
  fs::create_directories(dir / "locked");
  std::ofstream(dir / "locked/a.mp4") << "x";
  fs::permissions(dir / "locked", fs::perms::none);
  const input_plan plan = plan_inputs({(dir / "locked").string()}, dir / "out");
  fs::permissions(dir / "locked", fs::perms::owner_all);
  ASSERT_EQ(plan.rejected.size(), 1u);
  EXPECT_NE(plan.rejected[0].line().find("cannot list the folder: Permission denied"),
            std::string::npos)
      << plan.rejected[0].line();
}

// A folder of loose videos beside a folder per patient: the loose ones are taken and the
// subfolders that hold videos are said to be left out (once silently); an empty subfolder or
// one of other files is not worth a word.
TEST(inputs, subfolders_with_videos_beside_videos_are_said_to_be_left_out) {
  const fs::path dir = test::scratch_dir();
  fs::create_directories(dir / "cohort/Patient A");
  fs::create_directories(dir / "cohort/Patient B");
  fs::create_directories(dir / "cohort/notes");
  std::ofstream(dir / "cohort/p02.mp4") << "x";
  std::ofstream(dir / "cohort/Patient A/visit 1.wmv") << "x";
  std::ofstream(dir / "cohort/Patient B/visit 1.mov") << "x";
  std::ofstream(dir / "cohort/notes/readme.txt") << "x";
  const input_plan plan = plan_inputs({(dir / "cohort").string()}, dir / "out");
  ASSERT_EQ(plan.jobs.size(), 1u);
  EXPECT_EQ(plan.jobs[0].input.filename(), "p02.mp4");
  ASSERT_EQ(plan.notes.size(), 1u);
  EXPECT_EQ(plan.notes[0], "'" + (dir / "cohort").string() +
                               "': 2 subfolders hold videos, not taken (folders are not searched "
                               "further: give them too, e.g. '" +
                               (dir / "cohort/*").string() + "/')");
  // A photograph among the videos is said to be left out too.
  std::ofstream(dir / "cohort/p02.jpg") << "x";
  const input_plan with_photo = plan_inputs({(dir / "cohort").string()}, dir / "out");
  ASSERT_EQ(with_photo.notes.size(), 2u);
  EXPECT_EQ(with_photo.notes[0], "'" + (dir / "cohort").string() +
                                     "': 1 image beside its videos, not taken (photographs are "
                                     "given by name, e.g. '" +
                                     (dir / "cohort/*.jpg").string() + "')");
  fs::remove(dir / "cohort/p02.jpg");
  // A link that loops (its status cannot be read) is no video, and stops nothing: it once threw
  // out of the planning and aborted the whole batch.
  fs::create_symlink("self.mp4", dir / "cohort/self.mp4");
  const input_plan looping = plan_inputs({(dir / "cohort").string()}, dir / "out");
  EXPECT_EQ(looping.jobs.size(), 1u);
  // ... and it is named, not passed over in silence.
  ASSERT_FALSE(looping.notes.empty());
  EXPECT_EQ(looping.notes[0], "'" + (dir / "cohort/self.mp4").string() +
                                  "': named as a video but not a file that can be read, not taken");
  fs::remove(dir / "cohort/self.mp4");
  fs::remove_all(dir / "cohort/Patient B");
  fs::remove_all(dir / "cohort/Patient A");
  EXPECT_TRUE(plan_inputs({(dir / "cohort").string()}, dir / "out").notes.empty());
}

}  // namespace
}  // namespace facemirror::cli

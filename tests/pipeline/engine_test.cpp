// The parallel engine on real videos: identical bytes for any worker count and isolation mode,
// progress at the promised interval, and faults (crashing, hanging, throwing workers) that
// cost only their own video.

#include "facemirror/pipeline/engine.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "facemirror/error.h"
#include "facemirror/output/aligned_face_folder.h"
#include "facemirror/output/hog_file.h"

#include "support/fault_injection.h"
#include "support/test_data.h"
#include <sys/wait.h>

namespace facemirror {
namespace {

namespace fs = std::filesystem;

// scripts/test.sh also runs these tests built with -fsanitize=thread (build/tsan), about 20x
// slower. There only what has threads to check runs: the thread-isolation cases, with the
// progress callback on. Process isolation is left out: its parent is a single-threaded poll
// loop and each forked worker runs single-threaded, so TSan has no shared memory to watch, and
// the hang case's 5 s frame deadline does not hold at TSan speed. The one-worker progress test
// runs on the calling thread alone.
#if defined(__SANITIZE_THREAD__)
constexpr bool under_tsan = true;
#else
constexpr bool under_tsan = false;
#endif

video_job aus_job(const fs::path& input, const fs::path& csv) {
  video_job job;
  job.input = input;
  job.output_csv = csv;
  return job;
}

using test::read_file;

class engine_test : public ::testing::Test {
 protected:
  void SetUp() override {
    FACEMIRROR_REQUIRE_SHARED();
    if (!test::dlib_landmark_model())
      GTEST_SKIP() << "libdlib-data not installed";
    clip_ = *test::shared_dir() / "videos/openface-samples/changeLighting.wmv";
  }

  engine_options options(int workers, isolation mode) const {
    engine_options o;
    o.models_dir = *test::shared_dir() / "models/openface";
    o.workers = workers;
    o.mode = mode;
    o.segment_frames = 20;  // 88 frames: five segments, so workers really interleave
    return o;
  }

  static void expect_no_child_processes() {
    errno = 0;
    EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD) << "a worker process was left behind";
  }

  fs::path clip_;
};

TEST_F(engine_test, same_bytes_for_every_worker_count_and_isolation) {
  const fs::path dir = test::scratch_dir();
  std::string reference;
  const std::vector<isolation> modes = under_tsan
                                           ? std::vector{isolation::thread}
                                           : std::vector{isolation::thread, isolation::process};
  const std::vector<int> worker_counts = under_tsan ? std::vector{2, 8} : std::vector{1, 2, 3, 8};
  for (isolation mode : modes) {
    for (int workers : worker_counts) {
      // A folder per run and the same file names in each: the details file names the files.
      const fs::path run_dir =
          dir / ("run-" + std::to_string(workers) + (mode == isolation::thread ? "t" : "p"));
      fs::create_directories(run_dir);
      const fs::path out = run_dir / "out.csv";
      engine_options o = options(workers, mode);
      // OpenFace's HOG file and aligned faces travel with the frames (across the pipe in
      // process mode) and are written in frame order: their bytes must not vary either.
      o.write_hog = true;
      o.write_aligned_faces = true;
      std::string last_stage;  // the engine calls on_progress from any worker, one at a time
      o.on_progress = [&](const progress_event& ev) { last_stage = ev.stage; };
      engine e(o);
      const auto results = e.run({aus_job(clip_, out)});
      ASSERT_TRUE(results[0].ok) << results[0].error;
      EXPECT_EQ(last_stage, "done");
      const openface_outputs extras = openface_outputs_for(out);
      std::string bytes = read_file(out) + read_file(extras.hog) + read_file(extras.details);
      int64_t faces = 0;
      for (int64_t frame = 1; fs::exists(extras.aligned_folder / aligned_face_name(frame));
           ++frame, ++faces)
        bytes += read_file(extras.aligned_folder / aligned_face_name(frame));
      EXPECT_EQ(faces, results[0].frames);
      EXPECT_EQ(read_hog_file(extras.hog).size(), static_cast<size_t>(results[0].frames));
      if (reference.empty())
        reference = bytes;
      EXPECT_TRUE(bytes == reference) << "workers " << workers << " mode "
                                      << (mode == isolation::thread ? "thread" : "process");
    }
  }
  expect_no_child_processes();
}

TEST_F(engine_test, progress_fires_every_interval_frames) {
  if (under_tsan)
    GTEST_SKIP() << "one worker: no threads for ThreadSanitizer to check";
  const fs::path dir = test::scratch_dir();
  std::vector<progress_event> events;
  engine_options o = options(1, isolation::thread);
  o.progress_interval_frames = 10;
  o.on_progress = [&](const progress_event& e) { events.push_back(e); };
  engine e(o);
  ASSERT_TRUE(e.run({aus_job(clip_, dir / "a.csv")})[0].ok);
  std::vector<int64_t> analysing;
  for (const auto& ev : events) {
    if (ev.stage == "analysing")
      analysing.push_back(ev.frames_done);
  }
  ASSERT_EQ(analysing.size(), 88u / 10 + 1);  // at frames 1, 11, 21, ... 81
  for (size_t i = 0; i < analysing.size(); ++i)
    EXPECT_EQ(analysing[i], 1 + 10 * static_cast<int64_t>(i));
  EXPECT_EQ(events.back().stage, "done");
  EXPECT_EQ(events.back().frames_done, 88);
  EXPECT_EQ(events.back().frames_total, 88);
  EXPECT_GT(events.back().fps, 0.0);
}

// A run stopped after its first video's first frames: every video fails as interrupted, also
// those it never reached (they were once "not all frames were processed", which reads as a
// damaged file), and none leaves a CSV.
TEST_F(engine_test, a_stopped_run_calls_every_unfinished_video_interrupted) {
  if (under_tsan)
    GTEST_SKIP() << "one worker: no threads for ThreadSanitizer to check";
  const fs::path dir = test::scratch_dir();
  engine_options o = options(1, isolation::thread);
  std::atomic<bool> stop{false};
  o.progress_interval_frames = 1;
  o.on_progress = [&](const progress_event& e) { stop = stop || e.frames_done >= 5; };
  o.should_abort = [&] { return stop.load(); };
  engine e(o);
  // A file that fails for its own reason before the stop keeps that reason (the CLI records it
  // failed; the stopped ones are left for the next run).
  std::ofstream(dir / "broken.mp4") << "not a video";
  const auto results =
      e.run({aus_job(dir / "broken.mp4", dir / "broken.csv"), aus_job(clip_, dir / "a.csv"),
             aus_job(clip_, dir / "b.csv"), aus_job(clip_, dir / "c.csv")});
  ASSERT_EQ(results.size(), 4u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_FALSE(results[0].interrupted) << results[0].error;
  EXPECT_NE(results[0].error.find("not a video file"), std::string::npos) << results[0].error;
  for (size_t i = 1; i < results.size(); ++i) {
    const auto& r = results[i];
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.interrupted) << r.error;
    EXPECT_NE(r.error.find("interrupted"), std::string::npos) << r.error;
  }
  EXPECT_FALSE(fs::exists(dir / "a.csv") || fs::exists(dir / "b.csv") || fs::exists(dir / "c.csv"));
}

TEST_F(engine_test, progress_counts_the_whole_run_and_names_inputs_by_their_place_in_the_jobs) {
  if (under_tsan)
    GTEST_SKIP() << "one worker: no threads for ThreadSanitizer to check";
  // A still image is analysed apart from the videos, before them: the video's events must
  // still carry its own index, not its place among the videos, and the batch's count must run
  // on from the image's frame to the total of both, not start again with the videos.
  const fs::path dir = test::scratch_dir();
  const fs::path image = *test::shared_dir() / "videos/openface-samples/sample1.jpg";
  std::map<std::string, std::set<size_t>> indices;
  std::vector<progress_event> events;
  engine_options o = options(1, isolation::thread);
  o.on_progress = [&](const progress_event& e) {
    indices[e.input.filename().string()].insert(e.video);
    events.push_back(e);
  };
  engine e(o);
  const auto results = e.run({aus_job(image, dir / "image.csv"), aus_job(clip_, dir / "clip.csv")});
  ASSERT_TRUE(results[0].ok && results[1].ok);
  EXPECT_EQ(indices["sample1.jpg"], std::set<size_t>{0});
  EXPECT_EQ(indices[clip_.filename().string()], std::set<size_t>{1});
  ASSERT_GE(events.size(), 2u);
  int64_t done = 0;
  for (const progress_event& event : events) {
    EXPECT_EQ(event.batch_frames_total, 1 + 88) << event.input << " " << event.stage;
    EXPECT_GE(event.batch_frames_done, done) << event.input << " " << event.stage;
    done = event.batch_frames_done;
  }
  EXPECT_EQ(events.front().batch_frames_done, 1);  // the image's frame
  EXPECT_EQ(events.back().batch_frames_done, 1 + 88);
  EXPECT_GT(events.back().fps, 0.0);
}

// A CSV's cells as numbers, row by row (the header left out).
std::vector<std::vector<double>> csv_numbers(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::vector<double>> rows;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<double>& row = rows.emplace_back();
    std::stringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');)
      row.push_back(std::stod(cell));
  }
  return rows;
}

TEST_F(engine_test, consensus_tracks_write_the_median_of_their_draws_for_any_workers) {
  if (under_tsan)
    GTEST_SKIP() << "the draws run one after another on the workers the other cases check";
  const fs::path dir = test::scratch_dir();
  // The three draws, each its own run: every followed fit started 0, +1 and -1 float ulps away.
  std::vector<std::vector<std::vector<double>>> draws;
  std::vector<std::string> draw_bytes;
  for (int offset : {0, 1, -1}) {
    engine_options o = options(2, isolation::thread);
    o.tracked_start_offset_ulps = offset;
    const fs::path csv = dir / ("draw" + std::to_string(offset) + ".csv");
    engine e(o);
    ASSERT_TRUE(e.run({aus_job(clip_, csv)})[0].ok);
    draws.push_back(csv_numbers(csv));
    draw_bytes.push_back(read_file(csv));
  }
  // One ulp moves the track (else the consensus would test nothing).
  EXPECT_NE(draw_bytes[0], draw_bytes[1]);
  EXPECT_NE(draw_bytes[0], draw_bytes[2]);

  std::string reference;
  for (const auto& [workers, mode] :
       {std::pair{1, isolation::thread}, std::pair{3, isolation::process}}) {
    const fs::path run_dir = dir / ("consensus-" + std::to_string(workers));
    fs::create_directories(run_dir);
    engine_options o = options(workers, mode);
    o.consensus_tracks = 3;
    std::vector<progress_event> events;
    std::vector<video_result> announced;
    o.on_progress = [&](const progress_event& e) { events.push_back(e); };
    o.on_video_done = [&](const video_result& r) { announced.push_back(r); };
    engine e(o);
    const auto results = e.run({aus_job(clip_, run_dir / "out.csv")});
    ASSERT_TRUE(results[0].ok) << results[0].error;
    EXPECT_EQ(results[0].output_csv, run_dir / "out.csv");
    ASSERT_EQ(announced.size(), 1u);  // once, for the median, not for each draw
    EXPECT_EQ(announced[0].output_csv, run_dir / "out.csv");
    // No draw is left beside the CSV.
    EXPECT_EQ(std::distance(fs::directory_iterator(run_dir), fs::directory_iterator()), 1);

    const auto merged = csv_numbers(run_dir / "out.csv");
    ASSERT_EQ(merged.size(), draws[0].size());
    int64_t successful = 0;
    for (size_t row = 0; row < merged.size(); ++row) {
      ASSERT_EQ(merged[row].size(), draws[0][row].size());
      for (size_t cell = 0; cell < merged[row].size(); ++cell) {
        std::array<double, 3> v{draws[0][row][cell], draws[1][row][cell], draws[2][row][cell]};
        std::sort(v.begin(), v.end());
        ASSERT_EQ(merged[row][cell], v[1]) << "row " << row << " cell " << cell;
      }
      successful += merged[row][4] == 1.0;  // frame, face_id, timestamp, confidence, success
    }
    EXPECT_EQ(results[0].successful_frames, successful);
    const std::string bytes = read_file(run_dir / "out.csv");
    EXPECT_NE(bytes, draw_bytes[0]);  // the median is not simply the first draw
    if (reference.empty())
      reference = bytes;
    EXPECT_TRUE(bytes == reference) << workers << " workers";

    // Progress counts all three draws' frames, and ends once, with the median written.
    ASSERT_FALSE(events.empty());
    int64_t done = 0;
    for (const progress_event& event : events) {
      EXPECT_EQ(event.batch_frames_total, 3 * 88);
      EXPECT_EQ(event.frames_total, 3 * 88);
      EXPECT_GE(event.batch_frames_done, done);
      done = event.batch_frames_done;
    }
    EXPECT_EQ(std::count_if(events.begin(), events.end(),
                            [](const progress_event& ev) { return ev.stage == "done"; }),
              1);
    EXPECT_EQ(events.back().stage, "done");
    EXPECT_EQ(events.back().frames_done, 3 * 88);
    EXPECT_EQ(events.back().batch_frames_done, 3 * 88);
  }
  expect_no_child_processes();
}

TEST(engine_options_test, consensus_tracks_are_one_to_the_cap_and_write_only_a_csv) {
  for (int tracks : {0, -1, max_consensus_tracks + 1}) {
    engine_options o;
    o.consensus_tracks = tracks;
    EXPECT_THROW(engine{o}, error) << tracks;
  }
  for (int faces : {0, max_tracked_faces + 1}) {
    engine_options o;
    o.max_faces = faces;
    EXPECT_THROW(engine{o}, error) << faces;
  }
  engine_options hog;
  hog.consensus_tracks = 3;
  hog.write_hog = true;
  EXPECT_THROW(engine{hog}, error);
  engine_options faces;
  faces.consensus_tracks = 3;
  faces.max_faces = 2;
  EXPECT_THROW(engine{faces}, error);
  engine_options far;
  far.tracked_start_offset_ulps = 1001;
  EXPECT_THROW(engine{far}, error);
  // The same checks without the models, for a front end to refuse a command before any work.
  for (const engine_options* refused : {&hog, &faces, &far})
    EXPECT_THROW(check_engine_options(*refused), error);
  EXPECT_NO_THROW(check_engine_options(engine_options{}));
}

// A frame folder's images may differ in size, the mirrored videos cannot: the job fails alone,
// naming the folder, and writes nothing.
TEST_F(engine_test, a_mirror_job_of_a_frame_folder_fails_alone) {
  const fs::path dir = test::scratch_dir();
  fs::create_directories(dir / "frames");
  fs::copy_file(*test::shared_dir() / "videos/openface-samples/sample1.jpg",
                dir / "frames/001.jpg");
  video_job job;
  job.input = dir / "frames";
  job.kind = job_kind::mirror;
  job.output_dir = dir / "out";
  engine e(options(1, isolation::thread));
  const video_result result = e.run({job})[0];
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("'" + job.input.string() + "': a frame folder cannot be mirrored"),
            std::string::npos)
      << result.error;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST_F(engine_test, a_mirror_job_is_announced_once_its_last_file_is_written) {
  if (under_tsan)
    GTEST_SKIP() << "covered by the thread-isolation fault cases";
  const fs::path dir = test::scratch_dir();
  video_job job;
  job.input = clip_;
  job.kind = job_kind::mirror;
  job.output_dir = dir;
  const mirror_outputs out = mirror_outputs_for(clip_, dir, false);
  std::vector<bool> all_written;  // one entry per call
  engine_options o = options(2, isolation::thread);
  o.on_video_done = [&](const video_result& r) {
    EXPECT_EQ(r.input, clip_);
    all_written.push_back(fs::exists(out.right_video) && fs::exists(out.left_video) &&
                          fs::exists(out.debug_video) && fs::exists(out.right_csv) &&
                          fs::exists(out.left_csv) && fs::exists(out.head_pose_csv));
  };
  engine e(o);
  ASSERT_TRUE(e.run({job})[0].ok);
  EXPECT_EQ(all_written, std::vector<bool>{true});
}

// The mirrored videos are written before their AU analyses read them: when an analysis fails
// (or is interrupted), the job leaves none of its files, and its error names the input given.
TEST_F(engine_test, a_mirror_job_whose_analysis_fails_leaves_none_of_its_files) {
  if (under_tsan)
    GTEST_SKIP() << "covered by the thread-isolation fault cases";
  const fs::path dir = test::scratch_dir();
  const fs::path input = dir / "patient.wmv";
  fs::copy_file(clip_, input);
  video_job job;
  job.input = input;
  job.kind = job_kind::mirror;
  job.output_dir = dir;
  test::inject_fault("throw@patient_right_mirrored#0");  // one 240-frame chunk
  struct remove_fault {
    ~remove_fault() { test::inject_fault(""); }
  } remove_after;
  engine e(options(2, isolation::thread));
  const video_result result = e.run({job})[0];
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error.rfind("'" + input.string() + "': ", 0), 0u) << result.error;
  EXPECT_NE(result.error.find("injected"), std::string::npos) << result.error;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path() != input)
      ADD_FAILURE() << "left behind: " << entry.path();
  }
}

struct fault_case {
  const char* name;
  isolation mode;
  const char* fault;  // applied to segment 1 of "victim"
  bool victim_survives;
  const char* message;  // in the victim's error, or in its retried line when it survives
};

void PrintTo(const fault_case& c, std::ostream* os) {
  *os << c.name;
}

class engine_fault_test : public engine_test, public ::testing::WithParamInterface<fault_case> {};

TEST_P(engine_fault_test, only_the_victim_video_is_affected) {
  const fault_case& c = GetParam();
  if (under_tsan && c.mode == isolation::process)
    GTEST_SKIP() << "process isolation: no shared memory for ThreadSanitizer to check";
  const fs::path dir = test::scratch_dir();
  fs::copy_file(clip_, dir / "victim.wmv");
  fs::copy_file(clip_, dir / "bystander.wmv");
  engine_options o = options(2, c.mode);
  test::inject_fault(c.fault);
  struct remove_fault {
    ~remove_fault() { test::inject_fault(""); }
  } remove_after;
  // Long enough for a loaded CI machine, short enough to keep the hang case quick.
  o.frame_timeout_s = c.fault[0] == 'h' ? 5.0 : 60.0;
  // Each finished video is announced once, with its CSV in place; a failed one never.
  std::mutex done_mutex;
  std::multiset<std::string> done_with_csv, done_without_csv;
  o.on_video_done = [&](const video_result& r) {
    const bool csv_written = fs::exists(r.output_csv);
    const std::lock_guard<std::mutex> lock(done_mutex);
    (csv_written ? done_with_csv : done_without_csv).insert(r.input.filename().string());
  };
  engine e(o);
  const auto results = e.run({aus_job(dir / "victim.wmv", dir / "victim.csv"),
                              aus_job(dir / "bystander.wmv", dir / "bystander.csv")});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(done_without_csv.empty());
  EXPECT_EQ(done_with_csv.count("bystander.wmv"), 1u);
  EXPECT_EQ(done_with_csv.count("victim.wmv"), c.victim_survives ? 1u : 0u);
  EXPECT_TRUE(results[1].ok) << results[1].error;
  EXPECT_TRUE(fs::exists(dir / "bystander.csv"));
  EXPECT_EQ(results[0].ok, c.victim_survives) << results[0].error;
  EXPECT_EQ(fs::exists(dir / "victim.csv"), c.victim_survives);
  EXPECT_TRUE(results[1].retried.empty());
  if (c.victim_survives) {
    EXPECT_EQ(read_file(dir / "victim.csv"), read_file(dir / "bystander.csv"));
    // The failures the retries made good are still said, naming the video and the frames
    // (segment 1's cold task, and its carried task where the tracks did not agree).
    EXPECT_GE(results[0].retried.size(), 1u);
    for (const std::string& line : results[0].retried) {
      EXPECT_EQ(line.rfind("'" + (dir / "victim.wmv").string() + "': frames ", 0), 0u) << line;
      EXPECT_NE(line.find(c.message), std::string::npos) << line;
    }
  } else {
    EXPECT_NE(results[0].error.find("victim.wmv"), std::string::npos) << results[0].error;
    EXPECT_NE(results[0].error.find(c.message), std::string::npos) << results[0].error;
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().string().find(".partial-"), std::string::npos) << entry.path();
  }
  expect_no_child_processes();
}

INSTANTIATE_TEST_SUITE_P(
    faults, engine_fault_test,
    ::testing::Values(
        fault_case{"crash", isolation::process, "crash@victim#1", false, "signal 6"},
        fault_case{"crash_once", isolation::process, "crash@victim#1@once", true, "signal 6"},
        fault_case{"hang", isolation::process, "hang@victim#1", false, "no progress"},
        fault_case{"throw_thread", isolation::thread, "throw@victim#1", false, "injected"},
        fault_case{"throw_once_thread", isolation::thread, "throw@victim#1@once", true,
                   "injected"}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

}  // namespace
}  // namespace facemirror

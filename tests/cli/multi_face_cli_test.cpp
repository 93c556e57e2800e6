// `facemirror aus --max-faces N` end to end (FaceLandmarkVidMulti's rules, multi_face_session):
// the first 40 frames of multi_face.avi (cut without re-encoding, so the frames are OpenFace's)
// give OpenFace's rows for those frames, the same bytes for any worker count and isolation.

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "cli_support.h"
#include "support/reference_csv.h"

namespace facemirror::test {
namespace {

namespace fs = std::filesystem;

constexpr int clip_frames = 40;

// The first clip_frames packets of multi_face.avi (MPEG-4 part 2, starting with a key frame),
// stream-copied: decoded, they are the source's frames.
fs::path multi_face_clip(const fs::path& dir, const std::string& name) {
  const fs::path clip = dir / name;
  const std::string command = "ffmpeg -y -loglevel error -i '" +
                              sample_video("multi_face.avi").string() + "' -an -frames:v " +
                              std::to_string(clip_frames) + " -c copy '" + clip.string() + "'";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return clip;
}

TEST(multi_face_cli, rows_are_openfaces_and_bytes_do_not_depend_on_workers) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path dir = scratch_dir();
  const fs::path a = multi_face_clip(dir, "a.avi"), b = multi_face_clip(dir, "b.avi");
  std::string first;
  int runs = 0;
  for (const char* how : {"--workers 1", "--workers 2", "--workers 2 --isolation process"}) {
    const fs::path out = dir / ("out" + std::to_string(runs++));
    const cli_run run = run_cli("aus " + a.string() + " " + b.string() + " -o " + out.string() +
                                " " + models_arg() + " -q --max-faces 4 " + how);
    ASSERT_EQ(run.status, 0) << run.output;
    const std::string csv = read_file(out / "a.csv");
    EXPECT_EQ(read_file(out / "b.csv"), csv) << how;
    if (first.empty()) {
      first = csv;
    } else {
      EXPECT_TRUE(csv == first) << how << " changed the CSV bytes";
    }
  }

  // FaceLandmarkVidMulti's text: every field separated by ", ", presences with one decimal,
  // as in the reference's first row.
  const std::vector<std::string> lines = read_lines(dir / "out0/a.csv");
  ASSERT_GE(lines.size(), 2u);
  const std::string reference_row =
      read_lines(*shared_dir() / "reference/openface22/FaceLandmarkVidMulti/multi_face.csv").at(1);
  EXPECT_EQ(lines[1].substr(0, 20), reference_row.substr(0, 20));
  EXPECT_EQ(lines[1].find(",  "), std::string::npos) << lines[1].substr(0, 80);
  EXPECT_EQ(lines[1].substr(lines[1].rfind(", ")).size(), std::string(", 0.0").size());

  // Every reference row of the clip's frames, by (frame, face_id), with its landmarks.
  const fs::path reference_file =
      *shared_dir() / "reference/openface22/FaceLandmarkVidMulti/multi_face.csv";
  EXPECT_EQ(read_lines(dir / "out0/a.csv").at(0), read_lines(reference_file).at(0));
  const reference_csv ref(reference_file);
  const reference_csv ours(dir / "out0/a.csv");
  std::map<std::pair<int, int>, size_t> reference_rows;
  for (size_t row = 0; row < ref.rows() && ref.at(row, "frame") <= clip_frames; ++row)
    reference_rows[{static_cast<int>(ref.at(row, "frame")),
                    static_cast<int>(ref.at(row, "face_id"))}] = row;
  ASSERT_EQ(ours.rows(), reference_rows.size()) << "not OpenFace's rows";
  double distance = 0;
  for (size_t row = 0; row < ours.rows(); ++row) {
    const auto it = reference_rows.find(
        {static_cast<int>(ours.at(row, "frame")), static_cast<int>(ours.at(row, "face_id"))});
    ASSERT_NE(it, reference_rows.end()) << "row " << row << ": a face OpenFace does not have";
    EXPECT_EQ(ours.at(row, "success"), ref.at(it->second, "success")) << "row " << row;
    EXPECT_NEAR(ours.at(row, "timestamp"), ref.at(it->second, "timestamp"), 1e-9);
    distance += mean_landmark_distance(ours.landmarks(row), ref.landmarks(it->second));
  }
  EXPECT_LE(distance / static_cast<double>(ours.rows()), 0.5);
}

TEST(multi_face_cli, max_faces_refuses_what_it_cannot_write) {
  EXPECT_EQ(run_cli("aus x.mp4 -o out --max-faces 0").status, 2);
  EXPECT_EQ(run_cli("aus x.mp4 -o out --max-faces 2 --hog").status, 2);
  EXPECT_EQ(run_cli("aus x.mp4 -o out --max-faces 2 --landmarks dlib").status, 2);
  const cli_run help = run_cli("aus --help");
  EXPECT_NE(help.output.find("--max-faces"), std::string::npos);
}

}  // namespace
}  // namespace facemirror::test

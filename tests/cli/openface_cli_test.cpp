// `facemirror openface`: OpenFace 2.2 FeatureExtraction's command line gives OpenFace's files
// (names, columns) and the same bytes as the `facemirror aus` run it stands for.

#include <algorithm>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facemirror/output/aligned_face_folder.h"

#include "cli_support.h"

namespace facemirror::test {
namespace {

namespace fs = std::filesystem;

std::string image_sequence() {
  return sample_video("image_sequence").string();
}

// OpenFace's header for -aus: the five identifying columns and the reference's AU columns.
std::string openface_aus_header() {
  const auto reference = read_lines(*shared_dir() / "reference/openface22/default.csv");
  std::string header = "frame, face_id, timestamp, confidence, success";
  for (const auto& name : split_fields(reference.at(0))) {
    const std::string suffix = name.size() > 2 ? name.substr(name.size() - 2) : "";
    if (name.rfind("AU", 0) == 0 && (suffix == "_r" || suffix == "_c"))
      header += ", " + name;
  }
  return header;
}

TEST(openface_cli_test, aus_flag_writes_openfaces_au_columns_as_aus_does) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path out = scratch_dir();
  const std::string video = sample_video("changeLighting.wmv").string();
  const cli_run run = run_cli("openface -f " + video + " -out_dir " + (out / "D").string() +
                              " -aus -q " + models_arg());
  ASSERT_EQ(run.status, 0) << run.output;
  const auto ours = read_lines(out / "D/changeLighting.csv");
  ASSERT_FALSE(ours.empty());
  EXPECT_EQ(ours[0], openface_aus_header());
  EXPECT_EQ(ours.size(),
            read_lines(*shared_dir() / "reference/openface22/changeLighting.csv").size());
  EXPECT_FALSE(fs::exists(out / "D/changeLighting.hog"));  // not asked for
  // The details file OpenFace writes for every input, listing the one group asked for.
  const auto details = read_lines(out / "D/changeLighting_of_details.txt");
  ASSERT_EQ(details.size(), 10u);
  EXPECT_EQ(details[2], "Camera parameters:500,500,320,240");
  EXPECT_EQ(details[3], "Output csv:changeLighting.csv");
  EXPECT_EQ(details[5], "AUs: 1");
  EXPECT_EQ(details[6], "Landmarks 2D: 0");
  // The same engine run as `aus --outputs aus`: the same bytes.
  const cli_run aus = run_cli("aus " + video + " -o " + (out / "aus").string() +
                              " --outputs aus -q " + models_arg());
  ASSERT_EQ(aus.status, 0) << aus.output;
  EXPECT_EQ(read_file(out / "D/changeLighting.csv"), read_file(out / "aus/changeLighting.csv"));
  // `openface` writes no record, and an earlier run's no longer describes the CSV it overwrites
  // (a report would state that run's command and date, a resume keep the CSV).
  const fs::path record = out / "aus/.facemirror/changeLighting.aus.json";
  ASSERT_TRUE(fs::exists(record));
  const cli_run over = run_cli("openface -f " + video + " -out_dir " + (out / "aus").string() +
                               " -aus -q " + models_arg());
  ASSERT_EQ(over.status, 0) << over.output;
  EXPECT_FALSE(fs::exists(record));
}

// facemirror's own --consensus reaches the engine: `aus --consensus 3`'s bytes, not one track's.
TEST(openface_cli_test, consensus_writes_the_median_csv_of_aus_consensus) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path out = scratch_dir();
  const std::string video = sample_video("changeLighting.wmv").string();
  const cli_run run = run_cli("openface -f " + video + " -out_dir " + (out / "D").string() +
                              " -aus -q --consensus 3 " + models_arg());
  ASSERT_EQ(run.status, 0) << run.output;
  const cli_run aus = run_cli("aus " + video + " -o " + (out / "aus").string() +
                              " --outputs aus --consensus 3 -q " + models_arg());
  ASSERT_EQ(aus.status, 0) << aus.output;
  const std::string median = read_file(out / "D/changeLighting.csv");
  EXPECT_EQ(median, read_file(out / "aus/changeLighting.csv"));
  const cli_run one = run_cli("openface -f " + video + " -out_dir " + (out / "one").string() +
                              " -aus -q " + models_arg());
  ASSERT_EQ(one.status, 0) << one.output;
  EXPECT_NE(median, read_file(out / "one/changeLighting.csv"));
  const cli_run no_selector =
      run_cli("openface -f " + video + " -out_dir " + (out / "E").string() + " --consensus 3");
  EXPECT_EQ(no_selector.status, 2);
  EXPECT_NE(no_selector.output.find("--consensus writes the CSV only"), std::string::npos);
}

// No selector: every output, as OpenFace: the 714 columns, the HOG file, the aligned faces and
// the details file. -fdir names the CSV after the folder.
TEST(openface_cli_test, fdir_without_selectors_writes_every_output) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path out = scratch_dir();
  const cli_run run = run_cli("openface -fdir " + image_sequence() + " -out_dir " + out.string() +
                              " -q " + models_arg() + " -mloc model/main_clnf_general.txt");
  ASSERT_EQ(run.status, 0) << run.output;
  const auto ours = read_lines(out / "image_sequence.csv");
  const auto reference =
      read_lines(*shared_dir() / "reference/openface22/image_sequences/image_sequence.csv");
  ASSERT_FALSE(ours.empty());
  EXPECT_EQ(ours[0], reference.at(0));
  EXPECT_EQ(split_fields(ours[0]).size(), 714u);
  EXPECT_EQ(ours.size(), reference.size());
  EXPECT_TRUE(fs::is_regular_file(out / "image_sequence.hog"));
  EXPECT_TRUE(fs::is_regular_file(out / "image_sequence_aligned/frame_det_00_000030.bmp"));
  EXPECT_TRUE(fs::is_regular_file(out / "image_sequence_of_details.txt"));
}

// A folder's images may differ in size (crops another tool cut): OpenFace reads each as it is,
// so each is tracked in its own pixels, with the camera guessed from the first image.
TEST(openface_cli_test, fdir_tracks_images_of_another_size_in_their_own_pixels) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path out = scratch_dir();
  const fs::path frames = out / "mixed";
  fs::create_directories(frames);
  for (const auto& file : fs::directory_iterator(image_sequence()))
    fs::copy_file(file.path(), frames / file.path().filename());
  const fs::path shrunk = frames / "010.jpg";
  cv::Mat image = cv::imread(shrunk.string());
  ASSERT_EQ(image.cols, 640);
  cv::resize(image, image, cv::Size(), 0.8, 0.8, cv::INTER_AREA);
  ASSERT_TRUE(cv::imwrite(shrunk.string(), image));

  const cli_run run = run_cli("openface -fdir " + frames.string() + " -out_dir " +
                              (out / "D").string() + " -2Dfp -pose -q " + models_arg());
  ASSERT_EQ(run.status, 0) << run.output;
  // Every frame's pose with the first image's camera: given it in so many words, the same bytes
  // (the smaller image's own guess would be 400,400,256,192).
  const cli_run given =
      run_cli("aus --frames " + frames.string() + " -o " + (out / "E").string() +
              " --outputs 2Dfp,pose --fx 500 --fy 500 --cx 320 --cy 240 -q " + models_arg());
  ASSERT_EQ(given.status, 0) << given.output;
  EXPECT_EQ(read_file(out / "E/mixed.csv"), read_file(out / "D/mixed.csv"));
  // A segment that starts on the smaller image (frames 10-18 of 9-frame segments) finds it.
  const cli_run cut = run_cli("aus --frames " + frames.string() + " -o " + (out / "F").string() +
                              " --outputs 2Dfp --segment-frames 9 -q " + models_arg());
  ASSERT_EQ(cut.status, 0) << cut.output;
  const auto segmented = read_lines(out / "F/mixed.csv");
  ASSERT_EQ(segmented.size(), 31u);
  for (size_t frame = 1; frame < segmented.size(); ++frame)
    EXPECT_EQ(split_fields(segmented[frame]).at(4), "1") << "frame " << frame << " lost its face";
  const auto lines = read_lines(out / "D/mixed.csv");
  ASSERT_EQ(lines.size(), 31u);
  const auto header = split_fields(lines[0]);
  const auto x0 = std::find(header.begin(), header.end(), "x_0") - header.begin();
  const auto y0 = std::find(header.begin(), header.end(), "y_0") - header.begin();
  ASSERT_LT(y0, static_cast<long>(header.size()));
  // Frame N's landmark k, scaled by `scale` (frames 9 and 11 are full size, 10 is shrunk).
  auto landmark = [&](int frame, int k, double scale) {
    const auto row = split_fields(lines.at(static_cast<size_t>(frame)));
    EXPECT_EQ(row.at(4), "1") << "frame " << frame << " without a face";
    return cv::Point2d(std::stod(row.at(static_cast<size_t>(x0 + k))),
                       std::stod(row.at(static_cast<size_t>(y0 + k)))) /
           scale;
  };
  double shrunk_off = 0, after_off = 0;
  for (int k = 0; k < 68; ++k) {
    const cv::Point2d before = landmark(9, k, 1.0);
    shrunk_off += cv::norm(landmark(10, k, 0.8) - before) / 68;
    after_off += cv::norm(landmark(11, k, 1.0) - before) / 68;
  }
  EXPECT_LT(shrunk_off, 3.0) << "frame 10's face is not where its own pixels show it";
  EXPECT_LT(after_off, 3.0) << "frame 11's face is not found again at full size";
  const auto details = read_lines(out / "D/mixed_of_details.txt");
  ASSERT_GE(details.size(), 3u);
  EXPECT_EQ(details[2], "Camera parameters:500,500,320,240");  // the first image's guess
}

// As OpenFace: the pair of intrinsics not given is guessed from the input's size (sample1.jpg is
// 640x400: centre 320,200, focal length 458.33333333333337 written out in full), so one pair
// alone gives the bytes of all four with the guess written out, and the details file lists
// what was used.
TEST(openface_cli_test, one_pair_of_intrinsics_keeps_the_guess_for_the_other) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path out = scratch_dir();
  const std::string photo = sample_video("sample1.jpg").string();
  const auto run = [&](const std::string& name, const std::string& camera) {
    const cli_run r = run_cli("openface-img -f " + photo + " -out_dir " + (out / name).string() +
                              " " + camera + " -q " + models_arg());
    EXPECT_EQ(r.status, 0) << camera << "\n" << r.output;
  };
  run("focal", "-fx 600 -fy 650");
  run("focal_all", "-fx 600 -fy 650 -cx 320 -cy 200");
  run("centre", "-cx 300 -cy 180");
  run("centre_all", "-fx 458.33333333333337 -fy 458.33333333333337 -cx 300 -cy 180");
  run("guess", "");
  EXPECT_EQ(read_file(out / "focal/sample1.csv"), read_file(out / "focal_all/sample1.csv"));
  EXPECT_EQ(read_file(out / "centre/sample1.csv"), read_file(out / "centre_all/sample1.csv"));
  // The intrinsics reach the pose: each pair moves it.
  EXPECT_NE(read_file(out / "focal/sample1.csv"), read_file(out / "guess/sample1.csv"));
  EXPECT_NE(read_file(out / "centre/sample1.csv"), read_file(out / "guess/sample1.csv"));
  EXPECT_EQ(read_lines(out / "focal/sample1_of_details.txt").at(2),
            "Camera parameters:600,650,320,200");
  EXPECT_EQ(read_lines(out / "centre/sample1_of_details.txt").at(2),
            "Camera parameters:458.333,458.333,300,180");
}

// FaceLandmarkImg and FaceLandmarkVidMulti write a details file for every input too: the
// photograph's is the reference's, byte for byte.
TEST(openface_cli_test, every_program_writes_its_details_file) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path out = scratch_dir();
  // Run as the reference was, from the shared folder with a relative path: OpenFace prints the
  // path as given on both input lines (its "full path" is not made absolute).
  const fs::path before = fs::current_path();
  fs::current_path(*shared_dir());
  const cli_run img = run_cli("openface-img -f videos/openface-samples/sample1.jpg -out_dir " +
                              (out / "img").string() + " -q " + models_arg());
  fs::current_path(before);
  ASSERT_EQ(img.status, 0) << img.output;
  EXPECT_EQ(read_file(out / "img/sample1_of_details.txt"),
            read_file(*shared_dir() / "reference/openface22/images/sample1_of_details.txt"));

  const fs::path clip = out / "group.mkv";
  ASSERT_EQ(run_command("ffmpeg -v error -y -i " + sample_video("multi_face.avi").string() +
                        " -frames:v 3 -c:v ffv1 " + clip.string()),
            0);
  const cli_run multi = run_cli("openface-multi -f " + clip.string() + " -out_dir " +
                                (out / "multi").string() + " -q " + models_arg());
  ASSERT_EQ(multi.status, 0) << multi.output;
  EXPECT_EQ(read_lines(out / "multi/group_of_details.txt").at(3), "Output csv:group.csv");
  EXPECT_FALSE(fs::exists(out / "multi/.facemirror"));  // OpenFace's files only
}

// -of NAME names every output of the single input; -hogalign -simalign alone write the
// identifying columns and a details file listing no column group, as OpenFace's.
TEST(openface_cli_test, of_names_the_outputs) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path out = scratch_dir();
  const cli_run run = run_cli("openface -fdir " + image_sequence() + " -out_dir " + out.string() +
                              " -of sub/named.csv -hogalign -simalign -q " + models_arg());
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_FALSE(fs::exists(out / "image_sequence.csv"));
  const auto ours = read_lines(out / "sub/named.csv");
  ASSERT_EQ(ours.size(), 31u);
  EXPECT_EQ(ours[0], "frame, face_id, timestamp, confidence, success");
  EXPECT_TRUE(fs::is_regular_file(out / "sub/named.hog"));
  EXPECT_TRUE(fs::is_directory(out / "sub/named_aligned"));
  const std::string details = read_file(out / "sub/named_of_details.txt");
  EXPECT_NE(details.find("Output HOG:named.hog\nOutput aligned directory:named_aligned\n"
                         "Output csv:named.csv\nGaze: 0\nAUs: 0\nLandmarks 2D: 0\n"
                         "Landmarks 3D: 0\nPose: 0\nShape parameters: 0\n"),
            std::string::npos)
      << details;

  // Several inputs: each -of names the next input's outputs; one past the names keeps its own.
  const std::string gray =
      (fs::path(image_sequence()).parent_path() / "image_sequence_gray").string();
  const cli_run two = run_cli("openface -fdir " + image_sequence() + " -of first -fdir " + gray +
                              " -out_dir " + (out / "two").string() + " -pose -q " + models_arg());
  ASSERT_EQ(two.status, 0) << two.output;
  EXPECT_TRUE(fs::is_regular_file(out / "two/first.csv"));
  EXPECT_TRUE(fs::is_regular_file(out / "two/image_sequence_gray.csv"));
  EXPECT_FALSE(fs::exists(out / "two/image_sequence.csv"));
}

// -simalign's faces as OpenFace's flags ask, the CSV and HOG file unchanged (they describe the
// AU pipeline's own face): -simsize 224 -simscale 1.4 (the default framing at twice the pixels)
// -nomask -format_aligned png; -g (grey levels); -nobadaligned (no face for a failed frame).
TEST(openface_cli_test, aligned_face_flags_change_only_the_written_faces) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path out = scratch_dir();
  // A copy of the frames with frame 10 black: a frame without a face.
  const fs::path frames = out / "frames";
  fs::create_directories(frames);
  for (const auto& entry : fs::directory_iterator(image_sequence()))
    fs::copy_file(entry.path(), frames / entry.path().filename());
  const cv::Mat first = cv::imread((frames / "001.jpg").string());
  ASSERT_FALSE(first.empty());
  ASSERT_TRUE(cv::imwrite((frames / "010.jpg").string(), cv::Mat::zeros(first.size(), CV_8UC3)));
  const auto openface = [&](const std::string& name, const std::string& flags) {
    const cli_run run =
        run_cli("openface -fdir " + frames.string() + " -out_dir " + (out / name).string() +
                " -aus -hogalign -simalign -q " + flags + " " + models_arg());
    EXPECT_EQ(run.status, 0) << run.output;
  };
  openface("plain", "");
  openface("big", "-simsize 224 -simscale 1.4 -nomask -format_aligned png");
  openface("grey", "-g -format_aligned png -nobadaligned");
  for (const char* name : {"big", "grey"}) {
    EXPECT_EQ(read_file(out / name / "frames.csv"), read_file(out / "plain/frames.csv")) << name;
    EXPECT_EQ(read_file(out / name / "frames.hog"), read_file(out / "plain/frames.hog")) << name;
  }
  const auto face = [&](const std::string& run, int frame, const char* format, int flags) {
    return cv::imread((out / run / "frames_aligned" / aligned_face_name(frame, 0, format)).string(),
                      flags);
  };

  // Twice the pixels of the same framing: halved, the default face where its mask lets it be
  // seen, and no mask (the border of the face is not black).
  const cv::Mat plain = face("plain", 5, "bmp", cv::IMREAD_COLOR);
  const cv::Mat big = face("big", 5, "png", cv::IMREAD_UNCHANGED);
  ASSERT_EQ(plain.size(), cv::Size(112, 112));
  ASSERT_EQ(big.size(), cv::Size(224, 224));
  ASSERT_EQ(big.type(), CV_8UC3);
  cv::Mat halved, plain_grey, halved_grey;
  cv::resize(big, halved, plain.size(), 0, 0, cv::INTER_AREA);
  cv::cvtColor(plain, plain_grey, cv::COLOR_BGR2GRAY);
  cv::cvtColor(halved, halved_grey, cv::COLOR_BGR2GRAY);
  const cv::Mat inside = plain_grey > 0;
  cv::Mat difference;
  cv::absdiff(plain_grey, halved_grey, difference);
  EXPECT_LT(cv::mean(difference, inside)[0], 4.0);
  const double masked_out = 1.0 - cv::countNonZero(inside) / 112.0 / 112.0;
  const double black_in_big = 1.0 - cv::countNonZero(halved_grey) / 112.0 / 112.0;
  EXPECT_GT(masked_out, 0.2);
  EXPECT_LT(black_in_big, 0.02);

  // aus's own flags give the same faces.
  const cli_run aus =
      run_cli("aus " + frames.string() + " --frames -o " + (out / "aus").string() +
              " --aligned --aligned-size 224 --aligned-scale 1.4 --aligned-unmasked "
              "--aligned-format png -q " +
              models_arg());
  ASSERT_EQ(aus.status, 0) << aus.output;
  EXPECT_EQ(read_file(out / "aus/frames_aligned" / aligned_face_name(5, 0, "png")),
            read_file(out / "big/frames_aligned" / aligned_face_name(5, 0, "png")));
  const cli_run alone = run_cli("aus " + frames.string() + " --frames -o " +
                                (out / "alone").string() + " --aligned-size 224");
  EXPECT_EQ(alone.status, 2);
  EXPECT_NE(alone.output.find("--aligned"), std::string::npos) << alone.output;

  // -g: one grey channel, OpenCV's conversion of the colour face; -nobadaligned: no file for
  // frame 10, and frame 9's as without it.
  const cv::Mat grey = face("grey", 5, "png", cv::IMREAD_UNCHANGED);
  ASSERT_EQ(grey.type(), CV_8UC1);
  EXPECT_EQ(cv::norm(grey, plain_grey, cv::NORM_INF), 0.0);
  EXPECT_TRUE(fs::exists(out / "plain/frames_aligned" / aligned_face_name(10)));
  EXPECT_FALSE(fs::exists(out / "grey/frames_aligned" / aligned_face_name(10, 0, "png")));
  EXPECT_TRUE(fs::exists(out / "grey/frames_aligned" / aligned_face_name(9, 0, "png")));
  EXPECT_TRUE(fs::exists(out / "grey/frames_aligned" / aligned_face_name(11, 0, "png")));
}

TEST(openface_cli_test, unknown_and_incomplete_flags_exit_2_naming_them) {
  const cli_run unknown = run_cli("openface -f in.avi -out_dir out -frobnicate");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.output.find("'-frobnicate'"), std::string::npos) << unknown.output;
  const cli_run partial = run_cli("openface -f in.avi -out_dir out -fx 600");
  EXPECT_EQ(partial.status, 2);
  EXPECT_NE(partial.output.find("-fx and -fy"), std::string::npos) << partial.output;
  const cli_run refused = run_cli("openface -f in.avi -tracked");
  EXPECT_EQ(refused.status, 2);
  EXPECT_NE(refused.output.find("-tracked"), std::string::npos) << refused.output;
  const cli_run help = run_cli("openface --help");
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.output.find("-out_dir"), std::string::npos) << help.output;
  EXPECT_NE(run_cli("--help").output.find("openface"), std::string::npos);
}

}  // namespace
}  // namespace facemirror::test

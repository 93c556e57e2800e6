// OpenFace's command lines (FeatureExtraction, FaceLandmarkImg, FaceLandmarkVidMulti) translated
// into `facemirror aus` options: what each flag maps to, what is ignored, what is refused, and the
// messages.

#include "openface_args.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_data.h"

namespace facemirror::cli {
namespace {

namespace fs = std::filesystem;

openface_command feature_extraction(const std::vector<std::string>& args) {
  return parse_openface_args(args, openface_program::feature_extraction);
}

// The message of the usage error the arguments raise ("" when none is raised).
std::string refusal(const std::vector<std::string>& args,
                    openface_program program = openface_program::feature_extraction) {
  try {
    (void)parse_openface_args(args, program);
  } catch (const openface_usage_error& e) {
    return e.what();
  }
  return "";
}

TEST(openface_args_test, selectors_map_onto_the_csv_groups_and_openface_files) {
  const run_options aus = feature_extraction({"-f", "v.avi", "-out_dir", "D", "-aus"}).options;
  EXPECT_EQ(aus.inputs, std::vector<std::string>{"v.avi"});
  EXPECT_EQ(aus.output_dir, "D");
  EXPECT_EQ(aus.outputs, "aus");
  EXPECT_FALSE(aus.write_hog || aus.write_aligned_faces || aus.no_aus || aus.frame_folders);
  EXPECT_TRUE(aus.force);  // OpenFace overwrites

  const run_options some =
      feature_extraction({"-f", "v.avi", "-gaze", "-2Dfp", "-au_static", "-hogalign"}).options;
  EXPECT_EQ(some.outputs, "gaze,2Dfp");
  EXPECT_TRUE(some.write_hog && some.static_aus);
  EXPECT_FALSE(some.write_aligned_faces);
  EXPECT_EQ(some.output_dir, "processed");  // OpenFace's default folder

  // -hogalign/-simalign alone: OpenFace's CSV then has its identifying columns only.
  const run_options files = feature_extraction({"-f", "v.avi", "-hogalign", "-simalign"}).options;
  EXPECT_EQ(files.outputs, "none");
  EXPECT_TRUE(files.write_hog && files.write_aligned_faces);

  // A still image is analysed as FaceLandmarkImg: its HOG file or aligned faces asked for are
  // refused (as openface-img refuses them), not silently left out.
  EXPECT_NE(refusal({"-f", "v.avi", "-f", "photo.JPG", "-simalign"})
                .find("-simalign: 'photo.JPG' is a still image, analysed as FaceLandmarkImg, for "
                      "which facemirror writes no HOG file or aligned faces"),
            std::string::npos);
  EXPECT_NE(refusal({"-f", "photo.png", "-hogalign", "-aus"}).find("-hogalign: 'photo.png'"),
            std::string::npos);
  const openface_command photo = feature_extraction({"-f", "photo.jpg"});
  ASSERT_FALSE(photo.notes.empty());
  EXPECT_NE(photo.notes.back().find("a still image's HOG file and aligned faces"),
            std::string::npos);

  // No selector: every output, HOG and aligned faces included, as OpenFace.
  const openface_command all = feature_extraction({"-f", "v.avi"});
  EXPECT_EQ(all.options.outputs, "all");
  EXPECT_TRUE(all.options.write_hog && all.options.write_aligned_faces);
  ASSERT_FALSE(all.notes.empty());
  EXPECT_NE(all.notes.back().find("tracked"), std::string::npos);
}

// -mloc naming CLNF's file in an OpenFace model tree takes that tree as the models folder
// (--models still wins; a file that is not there leaves the default); without -mloc the run
// says its landmarks are CLNF's, where OpenFace would have run CE-CLM.
TEST(openface_args_test, mloc_finds_the_models_and_its_absence_is_said) {
  const fs::path tree = facemirror::test::scratch_dir() / "OpenFace";
  fs::create_directories(tree / "model");
  std::ofstream(tree / "model/main_clnf_general.txt") << "x";
  const std::string mloc = (tree / "model/main_clnf_general.txt").string();
  EXPECT_EQ(feature_extraction({"-f", "v.avi", "-mloc", mloc}).options.models_dir, tree.string());
  EXPECT_EQ(feature_extraction({"-f", "v.avi", "-mloc", mloc, "--models", "M"}).options.models_dir,
            "M");
  EXPECT_EQ(feature_extraction({"-f", "v.avi", "-mloc", "nowhere/model/main_clnf_general.txt"})
                .options.models_dir,
            "");
  const auto said = [](const openface_command& command, const std::string& text) {
    for (const auto& note : command.notes)
      if (note.find(text) != std::string::npos)
        return true;
    return false;
  };
  EXPECT_TRUE(said(feature_extraction({"-f", "v.avi"}), "landmarks by CLNF"));
  EXPECT_FALSE(said(feature_extraction({"-f", "v.avi", "-mloc", mloc}), "landmarks by CLNF"));
}

// OpenFace's -fdir reads .jpg .jpeg .png .bmp as written: FaceLandmarkImg's folder leaves the
// others out, as OpenFace does (an a.JPG once took the first -of name), and says so; a frame
// folder reads them (facemirror's frame folders take every image) and says OpenFace would not.
TEST(openface_args_test, fdir_takes_the_images_openface_reads_and_names_the_others) {
  const fs::path dir = facemirror::test::scratch_dir();
  for (const char* name : {"a.jpg", "b.JPG", "c.tif", "d.png"})
    std::ofstream(dir / name) << "x";
  const openface_command img =
      parse_openface_args({"-fdir", dir.string()}, openface_program::face_landmark_img);
  EXPECT_EQ(img.options.inputs,
            (std::vector<std::string>{(dir / "a.jpg").string(), (dir / "d.png").string()}));
  const auto said = [](const openface_command& command, const std::string& text) {
    for (const auto& note : command.notes)
      if (note.find(text) != std::string::npos)
        return true;
    return false;
  };
  EXPECT_TRUE(said(img, "b.JPG, c.tif left out, as OpenFace 2.2 leaves them"));
  EXPECT_TRUE(said(feature_extraction({"-fdir", dir.string()}),
                   "b.JPG, c.tif read as frames too, where OpenFace 2.2 skips them"));
  // A link that loops among them is no image (it once aborted the run with an exception).
  fs::create_symlink("loop.png", dir / "loop.png");
  EXPECT_EQ(parse_openface_args({"-fdir", dir.string()}, openface_program::face_landmark_img)
                .options.inputs.size(),
            2u);
  fs::remove(dir / "loop.png");
  fs::remove(dir / "a.jpg");
  fs::remove(dir / "d.png");
  EXPECT_NE(
      refusal({"-fdir", dir.string()}, openface_program::face_landmark_img)
          .find("holds no image files OpenFace reads (.jpg .jpeg .png .bmp; not b.JPG, c.tif)"),
      std::string::npos);
}

TEST(openface_args_test, inputs_names_intrinsics_and_ignored_flags) {
  const fs::path frames = facemirror::test::scratch_dir();
  const run_options opt =
      feature_extraction({"-fdir", frames.string(), "-f", "a.mp4", "-fx", "600", "-fy", "601",
                          "-cx", "310", "-cy", "245", "-mloc", "model/main_clnf_general.txt",
                          "-verbose", "-q", "--workers", "3"})
          .options;
  EXPECT_EQ(opt.inputs, (std::vector<std::string>{frames.string(), "a.mp4"}));
  EXPECT_TRUE(opt.frame_folders);
  EXPECT_EQ(opt.fx, 600);
  EXPECT_EQ(opt.fy, 601);
  EXPECT_EQ(opt.cx, 310);
  EXPECT_EQ(opt.cy, 245);
  EXPECT_TRUE(opt.quiet);
  EXPECT_EQ(opt.workers, 3);

  const run_options named =
      feature_extraction({"-f", "a.mp4", "-out_dir", "D", "-of", "sub/name.csv"}).options;
  EXPECT_EQ(named.output_dir, "D");
  EXPECT_EQ(named.output_names, (std::vector<std::string>{"sub/name"}));
  // Each -of names the next input's outputs, as OpenFace's recorders take them in turn.
  const run_options two = feature_extraction({"-f", "a.avi", "-of", "x.csv", "-f", "b.avi", "-of",
                                              "y", "-f", "c.avi", "-aus"})
                              .options;
  EXPECT_EQ(two.output_names, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(
      feature_extraction({"-f", "a.avi", "-of", "first", "-of", "second"}).options.output_names,
      (std::vector<std::string>{"first"}));
  // The tracked video's codec and OpenFace's defaults said out loud change nothing.
  const openface_command defaults = feature_extraction(
      {"-f", "a.avi", "-oc", "DIVX", "-validate_detections", "1", "-multi_view", "0", "-aus"});
  EXPECT_EQ(defaults.options.inputs, (std::vector<std::string>{"a.avi"}));
  EXPECT_NE(std::find(defaults.notes.begin(), defaults.notes.end(),
                      "ignoring -oc: facemirror writes no tracked video"),
            defaults.notes.end());
}

// OpenFace reads its input root before the inputs: the last -root/-inroot prefixes every -f and
// -fdir, before or after it; the outputs keep -out_dir. A pair of intrinsics may stand alone.
TEST(openface_args_test, input_root_prefixes_every_input_wherever_it_stands) {
  const fs::path root = facemirror::test::scratch_dir();
  fs::create_directories(root / "frames");
  const run_options opt = feature_extraction({"-f", "a.mp4", "-root", "ignored", "-fdir", "frames",
                                              "-inroot", root.string(), "-f", "b.avi", "-out_dir",
                                              "D", "-fx", "600", "-fy", "650"})
                              .options;
  EXPECT_EQ(opt.inputs,
            (std::vector<std::string>{(root / "a.mp4").string(), (root / "frames").string(),
                                      (root / "b.avi").string()}));
  EXPECT_EQ(opt.output_dir, "D");
  EXPECT_EQ(opt.fx, 600);
  EXPECT_EQ(opt.fy, 650);
  EXPECT_FALSE(opt.cx || opt.cy);
  for (const std::string image : {"a.jpg", "b.png"})
    std::ofstream(root / "frames" / image) << "x";
  const openface_command img = parse_openface_args(
      {"-root", (root / "").string(), "-fdir", "frames"}, openface_program::face_landmark_img);
  EXPECT_EQ(img.options.inputs, (std::vector<std::string>{(root / "frames/a.jpg").string(),
                                                          (root / "frames/b.png").string()}));
  EXPECT_NE(refusal({"-f", "v.avi", "-root"}).find("-root needs a value"), std::string::npos);
}

TEST(openface_args_test, unknown_refused_and_incomplete_flags_are_named) {
  EXPECT_NE(refusal({"-f", "v.avi", "-frobnicate"}).find("unknown OpenFace flag '-frobnicate'"),
            std::string::npos);
  EXPECT_NE(refusal({"-f", "v.avi", "-tracked"}).find("-tracked"), std::string::npos);
  EXPECT_NE(refusal({"-f", "v.avi", "-validate_detections", "0"})
                .find("-validate_detections 0 is not supported: facemirror always validates"),
            std::string::npos);
  EXPECT_NE(refusal({"-f", "v.avi", "-multi_view", "2"}).find("-multi_view 2 is not supported"),
            std::string::npos);
  EXPECT_NE(refusal({"-f", "v.avi", "-validate_detections", "0.5"})
                .find("-validate_detections needs 0 or 1, not '0.5'"),
            std::string::npos);
  EXPECT_NE(refusal({"-f", "v.avi", "-multi_view"}).find("-multi_view needs a value"),
            std::string::npos);
  for (const char* detector : {"-fdloc", "-bboxdir"})
    EXPECT_NE(refusal({"-f", "v.avi", detector, "x"}).find("is not supported"), std::string::npos)
        << detector;
  EXPECT_NE(refusal({"-f", "v.avi", "-mloc", "model/main_ceclm_general.txt"})
                .find("main_ceclm_general.txt"),
            std::string::npos);
  EXPECT_NE(refusal({"-f", "v.avi", "-fx", "600"}).find("-fx and -fy go together"),
            std::string::npos);
  EXPECT_NE(refusal({"-f", "v.avi", "-fx", "600", "-fy", "600", "-cy", "200"})
                .find("-cx and -cy go together"),
            std::string::npos);
  EXPECT_NE(
      refusal({"-f", "v.avi", "-fx", "abc", "-fy", "1", "-cx", "1", "-cy", "1"}).find("'abc'"),
      std::string::npos);
  for (const char* focal : {"-fx", "-fy"})  // a focal length of 0 px divides by zero later
    EXPECT_NE(
        refusal({"-f", "v.avi", "-fx", "600", "-fy", "600", "-cx", "1", "-cy", "1", focal, "0"})
            .find(std::string(focal) + " must be positive"),
        std::string::npos)
        << focal;
  EXPECT_NE(refusal({"-f", "v.avi", "-out_dir"}).find("-out_dir needs a value"), std::string::npos);
  // A value left out: the next flag is not taken for a folder's or a file's name.
  EXPECT_NE(refusal({"-f", "v.avi", "-out_dir", "--models", "m"})
                .find("-out_dir needs a value, not the flag '--models'"),
            std::string::npos);
  EXPECT_NE(refusal({"-f", "-out_dir", "o"}).find("-f needs a value, not the flag '-out_dir'"),
            std::string::npos);
  EXPECT_EQ(refusal({"-f", "v.avi", "-cx", "-5", "-cy", "2", "-fx", "500", "-fy", "500"}), "");
  EXPECT_NE(refusal({"-f", "a.avi", "-of", "."}).find("-of '.' names no file"), std::string::npos);
  EXPECT_NE(refusal({"-aus"}).find("no input"), std::string::npos);
  EXPECT_NE(refusal({"v.avi"}).find("'v.avi'"), std::string::npos);
  EXPECT_NE(refusal({"-fdir", "/no/such/folder"}).find("/no/such/folder"), std::string::npos);
  EXPECT_NE(refusal({"-f", "v.avi", "-simsize", "22.5"}).find("-simsize needs a whole"),
            std::string::npos);
  EXPECT_NE(refusal({"-f", "v.avi", "-simscale", "0"}).find("-simscale needs"), std::string::npos);
  EXPECT_NE(refusal({"-f", "v.avi", "-format_aligned", "xyz"}).find("-format_aligned xyz"),
            std::string::npos);
}

// How -simalign's faces are written: OpenFace's own flags, each mapped to aus's options.
TEST(openface_args_test, aligned_face_flags_set_how_the_faces_are_written) {
  const run_options plain = feature_extraction({"-f", "v.avi", "-simalign"}).options;
  EXPECT_EQ(plain.aligned.size, 112);
  EXPECT_EQ(plain.aligned.scale, 0.7);
  EXPECT_TRUE(plain.aligned.masked);
  EXPECT_FALSE(plain.aligned.grey);
  EXPECT_EQ(plain.aligned.format, "bmp");
  EXPECT_FALSE(plain.aligned.skip_failed);
  const run_options opt =
      feature_extraction({"-f", "v.avi", "-simalign", "-simsize", "224", "-simscale", "1.4",
                          "-nomask", "-g", "-format_aligned", "png", "-nobadaligned"})
          .options;
  EXPECT_TRUE(opt.write_aligned_faces);
  EXPECT_EQ(opt.aligned.size, 224);
  EXPECT_EQ(opt.aligned.scale, 1.4);
  EXPECT_FALSE(opt.aligned.masked);
  EXPECT_TRUE(opt.aligned.grey);
  EXPECT_EQ(opt.aligned.format, "png");
  EXPECT_TRUE(opt.aligned.skip_failed);
  // A size alone scales the face with it, as OpenFace does (0.7 at 112 pixels); a scale alone
  // keeps the size.
  const auto size_only = feature_extraction({"-f", "v.avi", "-simalign", "-simsize", "224"});
  EXPECT_EQ(size_only.options.aligned.size, 224);
  EXPECT_DOUBLE_EQ(size_only.options.aligned.scale, 1.4);
  const auto scale_only = feature_extraction({"-f", "v.avi", "-simalign", "-simscale", "0.5"});
  EXPECT_EQ(scale_only.options.aligned.size, 112);
  EXPECT_EQ(scale_only.options.aligned.scale, 0.5);
}

TEST(openface_args_test, consensus_is_facemirrors_own_flag_for_the_csv_of_videos) {
  EXPECT_EQ(feature_extraction({"-f", "v.avi", "-aus"}).options.consensus, 1);
  const run_options three =
      feature_extraction({"-f", "v.avi", "-aus", "-pose", "--consensus", "3"}).options;
  EXPECT_EQ(three.consensus, 3);
  EXPECT_EQ(three.outputs, "aus,pose");
  // With no selector OpenFace writes the HOG file and aligned faces, which a median cannot give.
  EXPECT_NE(refusal({"-f", "v.avi", "--consensus", "3"}).find("CSV only"), std::string::npos);
  EXPECT_NE(refusal({"-f", "v.avi", "-aus", "-hogalign", "--consensus", "3"}).find("-hogalign"),
            std::string::npos);
  EXPECT_EQ(feature_extraction({"-f", "v.avi", "-aus", "--consensus", "2"}).options.consensus, 2);
  for (const char* bad : {"0", "16", "1.5", "x"})
    EXPECT_NE(refusal({"-f", "v.avi", "-aus", "--consensus", bad}).find("--consensus"),
              std::string::npos)
        << bad;
  EXPECT_NE(refusal({"-f", "a.jpg", "--consensus", "3"}, openface_program::face_landmark_img)
                .find("openface-img"),
            std::string::npos);
  EXPECT_NE(refusal({"-f", "v.avi", "--consensus", "3"}, openface_program::face_landmark_vid_multi)
                .find("openface-multi"),
            std::string::npos);
  EXPECT_NE(openface_usage(openface_program::feature_extraction).find("--consensus"),
            std::string::npos);
  EXPECT_EQ(openface_usage(openface_program::face_landmark_img).find("--consensus"),
            std::string::npos);
}

TEST(openface_args_test, face_landmark_img_takes_every_image_of_a_folder_alone) {
  const fs::path folder = facemirror::test::scratch_dir();
  for (const char* name : {"b.png", "a.jpg", "notes.txt"})
    std::ofstream(folder / name) << "x";
  const openface_command img = parse_openface_args({"-fdir", folder.string(), "-out_dir", "D"},
                                                   openface_program::face_landmark_img);
  EXPECT_EQ(img.options.inputs,
            (std::vector<std::string>{(folder / "a.jpg").string(), (folder / "b.png").string()}));
  EXPECT_FALSE(img.options.frame_folders);
  EXPECT_FALSE(img.options.write_hog || img.options.write_aligned_faces);
  EXPECT_NE(refusal({"-f", "v.avi"}, openface_program::face_landmark_img).find("not an image"),
            std::string::npos);
  EXPECT_NE(
      refusal({"-f", "a.jpg", "-hogalign"}, openface_program::face_landmark_img).find("-hogalign"),
      std::string::npos);
}

TEST(openface_args_test, face_landmark_vid_multi_follows_four_faces_and_writes_the_csv_only) {
  const auto multi = openface_program::face_landmark_vid_multi;
  const openface_command all = parse_openface_args({"-f", "v.avi", "-out_dir", "D"}, multi);
  EXPECT_EQ(all.options.max_faces, 4);
  EXPECT_EQ(all.options.outputs, "all");
  EXPECT_FALSE(all.options.write_hog || all.options.write_aligned_faces);
  ASSERT_FALSE(all.notes.empty());
  EXPECT_NE(all.notes.back().find("several faces"), std::string::npos);
  EXPECT_EQ(parse_openface_args({"-f", "v.avi", "-aus"}, multi).options.outputs, "aus");
  EXPECT_EQ(feature_extraction({"-f", "v.avi"}).options.max_faces, 1);
  EXPECT_NE(refusal({"-f", "v.avi", "-simalign"}, multi).find("-simalign"), std::string::npos);
  EXPECT_NE(refusal({"-f", "v.avi", "-x"}, multi).find("openface-multi"), std::string::npos);
  EXPECT_NE(openface_usage(multi).find("FaceLandmarkVidMulti"), std::string::npos);
}

}  // namespace
}  // namespace facemirror::cli

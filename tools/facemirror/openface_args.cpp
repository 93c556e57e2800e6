#include "openface_args.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "facemirror/io/image_reader.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/output/aligned_face_folder.h"

namespace facemirror::cli {
namespace {

namespace fs = std::filesystem;

// The output selectors. FeatureExtraction: any of them given = only those outputs; none =
// every output (OpenFace's rule, which includes the HOG file, the aligned faces and the
// tracked video).
const std::map<std::string, std::string> csv_selectors = {
    {"-2Dfp", "2Dfp"}, {"-3Dfp", "3Dfp"}, {"-pdmparams", "pdmparams"},
    {"-pose", "pose"}, {"-aus", "aus"},   {"-gaze", "gaze"}};

// Flags that change nothing facemirror writes: OpenFace's display windows and its console
// verbosity. Facemirror opens no window.
const std::set<std::string> ignored_switches = {"-verbose",   "-vis-track", "-vis-hog",
                                                "-vis-align", "-vis-aus",   "-vis"};

// OpenFace flags whose outputs facemirror does not produce: refused with the reason, so a
// script does not silently get less than it asked for.
const std::map<std::string, std::string> refused_flags = {
    {"-tracked", "facemirror writes no tracked (annotated) video"},
    {"-wild", "facemirror implements only CLNF's default fitting settings, not -wild's"},
    {"-sigma", "facemirror implements only CLNF's default fitting settings"},
    {"-w_reg", "facemirror implements only CLNF's default fitting settings"},
    {"-reg", "facemirror implements only CLNF's default fitting settings"},
    {"-n_iter", "facemirror implements only CLNF's default fitting settings"},
    {"-device", "facemirror reads files, not cameras"},
    {"-cam_width", "facemirror reads files, not cameras"},
    {"-cam_height", "facemirror reads files, not cameras"},
    {"-fdloc", "facemirror finds faces with OpenFace's default MTCNN detector only"},
    {"-bboxdir", "facemirror finds faces itself and reads no bounding-box files"},
};

// The landmark model facemirror re-implements (OpenFace's -mloc names its file).
constexpr const char* clnf_model_file = "main_clnf_general.txt";

class argument_reader {
 public:
  explicit argument_reader(const std::vector<std::string>& args) : args_(args) {}
  bool done() const { return next_ >= args_.size(); }
  const std::string& take() { return args_[next_++]; }
  std::string value_of(const std::string& flag) {
    if (done())
      throw openface_usage_error("OpenFace flag " + flag + " needs a value");
    // "-out_dir --models D": the value was left out, and the next flag would become a folder
    // name (a negative number, "-5", is still a value).
    const std::string& next = args_[next_];
    if (next.size() > 1 && next[0] == '-' &&
        (std::isalpha(static_cast<unsigned char>(next[1])) || next[1] == '-'))
      throw openface_usage_error("OpenFace flag " + flag + " needs a value, not the flag '" + next +
                                 "'");
    return take();
  }
  double number_of(const std::string& flag) {
    const std::string text = value_of(flag);
    size_t used = 0;
    double value = 0;
    try {
      value = std::stod(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text.size() || text.empty() || !std::isfinite(value))
      throw openface_usage_error("OpenFace flag " + flag + " needs a number, not '" + text + "'");
    return value;
  }

 private:
  const std::vector<std::string>& args_;
  size_t next_ = 0;
};

// OpenFace reads -root and -inroot before any input, so the last of them prefixes every -f and
// -fdir wherever it stands. OpenFace glues the strings together; a path join gives the same
// path when the root ends in a separator and the path OpenFace meant when it does not (an
// absolute -f stays itself, where OpenFace's glued "root//abs/x" would name no file).
fs::path input_root_of(const std::vector<std::string>& args) {
  fs::path root;
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "-root" || args[i] == "-inroot")
      root = args[i + 1];
  }
  return root;
}

// The image files directly inside a folder, in name order (FaceLandmarkImg's -fdir).
// OpenFace 2.2's -fdir reads these extensions, as written (a.JPG and b.tif are not among them).
bool openface_reads(const fs::path& image) {
  const std::string extension = image.extension().string();
  return extension == ".jpg" || extension == ".jpeg" || extension == ".png" || extension == ".bmp";
}

// A folder's image files (facemirror's is_image_file): those OpenFace's -fdir reads, sorted,
// and the names of those it would skip.
struct folder_images {
  std::vector<std::string> read, skipped;
};

folder_images images_in(const fs::path& folder) {
  folder_images images;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    std::error_code entry_ec;  // a link that loops is no image (a throw here aborted the run)
    if (entry.is_regular_file(entry_ec) && is_image_file(entry.path()) &&
        !is_hidden_file(entry.path()))
      (openface_reads(entry.path()) ? images.read : images.skipped)
          .push_back(openface_reads(entry.path()) ? entry.path().string()
                                                  : entry.path().filename().string());
  }
  std::sort(images.read.begin(), images.read.end());
  std::sort(images.skipped.begin(), images.skipped.end());
  return images;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < 5; ++i)
    out += (i ? ", " : "") + names[i];
  return names.size() > 5 ? out + " and " + std::to_string(names.size() - 5) + " more" : out;
}

}  // namespace

openface_command parse_openface_args(const std::vector<std::string>& args,
                                     openface_program program) {
  const bool images = program == openface_program::face_landmark_img;
  const bool multi = program == openface_program::face_landmark_vid_multi;
  openface_command command;
  run_options& opt = command.options;
  if (multi)
    opt.max_faces = 4;           // FaceLandmarkVidMulti's number of trackers
  opt.output_dir = "processed";  // OpenFace's default output folder, relative to the cwd
  opt.force = true;              // OpenFace overwrites earlier outputs
  opt.openface_folder = true;
  std::vector<std::string> selected_groups;
  bool hog = false, aligned = false;
  bool scale_given = false, size_given = false;
  bool mloc_given = false;
  std::string mloc_models_dir;  // the OpenFace model tree -mloc names a file of
  std::vector<std::string> output_names;
  std::optional<double> intrinsics[4];
  const char* const intrinsic_flags[4] = {"-fx", "-fy", "-cx", "-cy"};

  const fs::path input_root = input_root_of(args);
  const auto rooted = [&](const std::string& path) {
    return input_root.empty() ? path : (input_root / path).string();
  };

  argument_reader in(args);
  while (!in.done()) {
    const std::string flag = in.take();
    if (flag == "-h" || flag == "-help" || flag == "--help") {
      command.help = true;
      return command;
    }
    if (flag == "-f") {
      const std::string file = rooted(in.value_of(flag));
      std::error_code ec;
      if (fs::is_directory(file, ec)) {
        throw openface_usage_error(
            "-f '" + file + "' is a folder; " +
            (images ? "-fdir takes a folder of images" : "-fdir takes a folder of frames"));
      }
      if (images && !is_image_file(file)) {
        throw openface_usage_error("-f '" + file +
                                   "' is not an image file (FaceLandmarkImg reads images; "
                                   "'facemirror openface' reads videos)");
      }
      if (!images && is_image_file(file)) {
        command.notes.push_back("'" + file +
                                "' is a still image: analysed as FaceLandmarkImg does (every "
                                "face, its layout), not as a one-frame video");
      }
      opt.inputs.push_back(file);
    } else if (flag == "-fdir") {
      const std::string folder = rooted(in.value_of(flag));
      std::error_code ec;
      if (!fs::is_directory(folder, ec))
        throw openface_usage_error("-fdir '" + folder + "' is not a folder");
      const folder_images found = images_in(folder);
      if (images) {
        if (found.read.empty())
          throw openface_usage_error(
              "-fdir '" + folder + "' holds no image files OpenFace reads (.jpg .jpeg .png .bmp" +
              (found.skipped.empty() ? ")" : "; not " + joined(found.skipped) + ")"));
        opt.inputs.insert(opt.inputs.end(), found.read.begin(), found.read.end());
        if (!found.skipped.empty())
          command.notes.push_back("-fdir '" + folder + "': " + joined(found.skipped) +
                                  " left out, as OpenFace 2.2 leaves them (it reads .jpg .jpeg "
                                  ".png .bmp, in lower case)");
      } else {
        opt.inputs.push_back(folder);
        opt.frame_folders = true;
        // facemirror's frame folders take every image; OpenFace's would skip these, and number
        // its frames without them.
        if (!found.skipped.empty())
          command.notes.push_back("-fdir '" + folder + "': " + joined(found.skipped) +
                                  " read as frames too, where OpenFace 2.2 skips them (it reads "
                                  ".jpg .jpeg .png .bmp, in lower case): its frame numbers would "
                                  "differ");
      }
    } else if (flag == "-root" || flag == "-inroot") {
      (void)in.value_of(flag);  // input_root_of() took it
    } else if (flag == "-out_dir") {
      opt.output_dir = in.value_of(flag);
    } else if (flag == "-of") {
      output_names.push_back(in.value_of(flag));
    } else if (csv_selectors.count(flag) > 0) {
      selected_groups.push_back(csv_selectors.at(flag));
    } else if (flag == "-hogalign" || flag == "-simalign") {
      if (images || multi) {
        throw openface_usage_error(flag +
                                   ": facemirror writes HOG files and aligned faces for videos "
                                   "and frame folders with one face only ('facemirror openface')");
      }
      (flag == "-hogalign" ? hog : aligned) = true;
    } else if (flag == "-au_static") {
      opt.static_aus = true;
    } else if (std::find(std::begin(intrinsic_flags), std::end(intrinsic_flags), flag) !=
               std::end(intrinsic_flags)) {
      const auto index = std::find(std::begin(intrinsic_flags), std::end(intrinsic_flags), flag) -
                         std::begin(intrinsic_flags);
      intrinsics[index] = in.number_of(flag);
      if (index < 2 && *intrinsics[index] <= 0)
        throw openface_usage_error(flag + " must be positive (a focal length in pixels)");
    } else if (flag == "-q") {
      opt.quiet = true;
    } else if (ignored_switches.count(flag) > 0) {
      command.notes.push_back("ignoring " + flag + ": facemirror opens no window");
    } else if (flag == "-format_vis_image") {
      (void)in.value_of(flag);
      command.notes.push_back("ignoring -format_vis_image: facemirror writes no visualisation");
    } else if (flag == "-oc") {  // the tracked video's FOURCC codec
      (void)in.value_of(flag);
      command.notes.push_back("ignoring -oc: facemirror writes no tracked video");
    } else if (flag == "-validate_detections" || flag == "-multi_view") {
      // Switches OpenFace reads as a whole number, any but 0 meaning on: its default setting is
      // what facemirror implements, the other is refused.
      const std::string text = in.value_of(flag);
      const double value = std::strtod(text.c_str(), nullptr);
      if (text.empty() || text.find_first_not_of("+-0123456789") != std::string::npos ||
          value != std::floor(value)) {
        throw openface_usage_error("OpenFace flag " + flag + " needs 0 or 1, not '" + text + "'");
      }
      const bool on = value != 0;
      const bool validate = flag == "-validate_detections";
      if (on != validate) {
        throw openface_usage_error(
            "OpenFace flag " + flag + " " + text + " is not supported: " +
            (validate ? "facemirror always validates its fits, as OpenFace does by default"
                      : "facemirror implements only CLNF's default (frontal) view"));
      }
    } else if (flag == "-mloc") {
      const std::string model = in.value_of(flag);
      if (fs::path(model).filename() != clnf_model_file) {
        throw openface_usage_error("-mloc '" + model + "': facemirror implements only " +
                                   clnf_model_file + " (CLNF), not this landmark model");
      }
      mloc_given = true;
      // Where the file is, in an OpenFace model tree (TREE/model/main_clnf_general.txt), that
      // tree is the models folder, as OpenFace found its models beside it; --models wins.
      std::error_code ec;
      const fs::path file = fs::absolute(model, ec);
      if (!ec && fs::is_regular_file(file, ec) && file.parent_path().filename() == "model") {
        mloc_models_dir = file.parent_path().parent_path().string();
        command.notes.push_back(std::string("-mloc ") + clnf_model_file +
                                ": facemirror's own CLNF, with the models of the OpenFace tree "
                                "it lies in, " +
                                mloc_models_dir + " (unless --models says)");
      } else {
        command.notes.push_back(std::string("-mloc ") + clnf_model_file +
                                ": facemirror's own CLNF, from --models (or its default folder)");
      }
    } else if (flag == "-simscale") {  // the written aligned faces only, as OpenFace's
      opt.aligned.scale = in.number_of(flag);
      scale_given = true;
      if (!(opt.aligned.scale > 0))
        throw openface_usage_error("-simscale needs a scale above 0");
    } else if (flag == "-simsize") {
      const double size = in.number_of(flag);
      if (size < 1 || size > 4096 || size != std::floor(size))
        throw openface_usage_error("-simsize needs a whole number of pixels, 1 to 4096");
      opt.aligned.size = static_cast<int>(size);
      size_given = true;
    } else if (flag == "-format_aligned") {
      opt.aligned.format = in.value_of(flag);
      if (!can_write_image_format(opt.aligned.format)) {
        throw openface_usage_error("-format_aligned " + opt.aligned.format +
                                   ": not an image format OpenCV writes (bmp, png, jpg, ...)");
      }
    } else if (flag == "-nomask") {
      opt.aligned.masked = false;
    } else if (flag == "-g") {
      opt.aligned.grey = true;
    } else if (flag == "-nobadaligned") {
      opt.aligned.skip_failed = true;
    } else if (refused_flags.count(flag) > 0) {
      throw openface_usage_error("OpenFace flag " + flag +
                                 " is not supported: " + refused_flags.at(flag));
    } else if (flag == "--models") {  // facemirror's own, for where the models live
      opt.models_dir = in.value_of(flag);
    } else if (flag == "--workers") {
      const double workers = in.number_of(flag);
      if (workers < 0 || workers != std::floor(workers))
        throw openface_usage_error("--workers needs a whole number >= 0");
      opt.workers = static_cast<int>(workers);
    } else if (flag == "--consensus") {  // facemirror's own: aus --consensus N
      const double tracks = in.number_of(flag);
      if (!valid_consensus_tracks(tracks))
        throw openface_usage_error("--consensus needs a whole number of tracks from 1 to " +
                                   std::to_string(max_consensus_tracks));
      if (images || multi)
        throw openface_usage_error(
            "--consensus is for FeatureExtraction's videos of one face "
            "(facemirror openface), not " +
            openface_subcommand(program));
      opt.consensus = static_cast<int>(tracks);
    } else if (!flag.empty() && flag[0] == '-') {
      throw openface_usage_error("unknown OpenFace flag '" + flag + "' (facemirror " +
                                 openface_subcommand(program) +
                                 " --help lists the flags it takes)");
    } else {
      throw openface_usage_error("unexpected argument '" + flag +
                                 "' (inputs are given with -f FILE or -fdir DIR)");
    }
  }

  if (opt.inputs.empty())
    throw openface_usage_error("no input: give -f FILE or -fdir DIR");
  if (opt.models_dir.empty())
    opt.models_dir = mloc_models_dir;
  // A script written for OpenFace without -mloc got CE-CLM's landmarks: said, as its numbers
  // differ (reference/openface22/README.md: AU_r mean |diff| 0.078 on default.wmv).
  if (!mloc_given)
    command.notes.push_back(
        "landmarks by CLNF, as OpenFace's -mloc model/main_clnf_general.txt: OpenFace 2.2 "
        "without -mloc runs CE-CLM, which facemirror does not implement (their AUs differ by "
        "about 0.08 on average)");
  // OpenFace guesses the focal lengths or the centre when that pair is not given; one of a pair
  // alone has no meaning (OpenFace would use -1 for the other).
  for (int pair = 0; pair < 4; pair += 2) {
    if (bool(intrinsics[pair]) != bool(intrinsics[pair + 1]))
      throw openface_usage_error(std::string(intrinsic_flags[pair]) + " and " +
                                 intrinsic_flags[pair + 1] + " go together: give both or neither");
  }
  opt.fx = intrinsics[0];
  opt.fy = intrinsics[1];
  opt.cx = intrinsics[2];
  opt.cy = intrinsics[3];

  // As OpenFace: a size alone scales the face with it (0.7 at 112 pixels), so -simsize 224 is
  // the same face at twice the resolution, not the same face in a wider black frame.
  if (size_given && !scale_given)
    opt.aligned.scale = opt.aligned.size * (0.7 / 112.0);

  // A still image given to `openface` is analysed as FaceLandmarkImg, whose HOG file and aligned
  // faces facemirror does not write: asked for, that is refused as `openface-img` refuses it.
  const auto still = std::find_if(opt.inputs.begin(), opt.inputs.end(),
                                  [](const std::string& input) { return is_image_file(input); });
  const bool any_still = !images && !multi && still != opt.inputs.end();
  if (any_still && (hog || aligned))
    throw openface_usage_error(std::string(hog ? "-hogalign" : "-simalign") + ": '" + *still +
                               "' is a still image, analysed as FaceLandmarkImg, for which "
                               "facemirror writes no HOG file or aligned faces (give it in a "
                               "call without them)");
  const bool any_selector = !selected_groups.empty() || hog || aligned;
  if (any_selector) {
    std::string list;
    for (const auto& group : selected_groups)
      list.append(list.empty() ? "" : ",").append(group);
    opt.outputs = list.empty() ? "none" : list;
    opt.write_hog = hog;
    opt.write_aligned_faces = aligned;
  } else {
    opt.outputs = "all";
    opt.write_hog = opt.write_aligned_faces = !images && !multi;
    command.notes.push_back(
        images  ? "no output selector: every CSV column; OpenFace would also write the aligned "
                  "faces, HOG and annotated image, which facemirror does not for images"
        : multi ? "no output selector: every CSV column; OpenFace would also write the aligned "
                  "faces, HOG and tracked video, which facemirror does not with several faces"
        : any_still
            ? "no output selector: every output as OpenFace, except the tracked video (-tracked), "
              "which facemirror does not write, and a still image's HOG file and aligned faces"
            : "no output selector: every output as OpenFace, except the tracked video "
              "(-tracked), which facemirror does not write");
  }

  if (opt.consensus > 1 && (opt.write_hog || opt.write_aligned_faces))
    throw openface_usage_error(
        "--consensus writes the CSV only: name the CSV's outputs (-aus -pose ...) without "
        "-hogalign or -simalign (with no selector OpenFace writes them)");

  // As OpenFace: each -of names the next input's outputs (one input, several: the first); a
  // folder part of NAME is under the output folder, the extension goes.
  for (size_t i = 0; i < output_names.size() && i < opt.inputs.size(); ++i) {
    const fs::path name(output_names[i]);
    if (name.stem().empty() || name.stem() == "." || name.stem() == "..")
      throw openface_usage_error("-of '" + output_names[i] + "' names no file");
    opt.output_names.push_back((name.parent_path() / name.stem()).string());
  }
  return command;
}

std::string openface_subcommand(openface_program program) {
  switch (program) {
    case openface_program::face_landmark_img:
      return "openface-img";
    case openface_program::face_landmark_vid_multi:
      return "openface-multi";
    default:
      return "openface";
  }
}

std::string openface_usage(openface_program program) {
  const bool images = program == openface_program::face_landmark_img;
  const bool multi = program == openface_program::face_landmark_vid_multi;
  std::string text =
      multi    ? "facemirror openface-multi: OpenFace 2.2 FaceLandmarkVidMulti's command line\n"
                 "Usage: facemirror openface-multi (-f VIDEO | -fdir DIR)... [-out_dir DIR] "
                 "[FLAGS]\n"
                 "  -f VIDEO        a video (repeatable): up to 4 faces, FaceLandmarkVidMulti's "
                 "rules and layout\n"
                 "                  (facemirror aus --max-faces 4; static AU models)\n"
                 "  -fdir DIR       a folder of frames, analysed as one video (repeatable)\n"
      : images ? "facemirror openface-img: OpenFace 2.2 FaceLandmarkImg's command line\n"
                 "Usage: facemirror openface-img (-f IMAGE | -fdir DIR)... [-out_dir DIR] [FLAGS]\n"
                 "  -f IMAGE        an image (repeatable): every face in it, FaceLandmarkImg's "
                 "layout\n"
                 "  -fdir DIR       every .jpg .jpeg .png .bmp in DIR, each analysed alone "
                 "(repeatable)\n"
               : "facemirror openface: OpenFace 2.2 FeatureExtraction's command line\n"
                 "Usage: facemirror openface (-f VIDEO | -fdir DIR)... [-out_dir DIR] [FLAGS]\n"
                 "  -f VIDEO        a video (repeatable)\n"
                 "  -fdir DIR       a folder of frames, analysed as one video (repeatable)\n";
  text +=
      "  -root DIR, -inroot DIR\n"
      "                  folder every -f and -fdir path is in (the last one given)\n"
      "  -out_dir DIR    output folder (default: processed, as OpenFace)\n"
      "  -of NAME        output name of the next input: DIR/NAME.csv\n"
      "  -2Dfp -3Dfp -pdmparams -pose -aus -gaze\n"
      "                  CSV column groups; with no selector, every output\n";
  if (!images && !multi) {
    text +=
        "  -hogalign       output DIR/<name>.hog (OpenFace's binary HOG file)\n"
        "  -simalign       output DIR/<name>_aligned/ (112x112 aligned faces)\n"
        "                  (output selectors as the CSV's: given alone, the CSV has only its\n"
        "                  first five columns)\n"
        "  -simsize N -simscale S -nomask -g -format_aligned EXT -nobadaligned\n"
        "                  how -simalign's faces are written, as OpenFace (the AUs and HOG keep\n"
        "                  the 112-pixel, 0.7-scale, masked face)\n"
        "  --consensus N   facemirror's own: every CSV cell the median of N tracks (as aus\n"
        "                  --consensus), with output selectors and no -hogalign/-simalign\n";
  }
  text +=
      "  -au_static      static AU models (no person-specific normalisation)\n"
      "  -fx -fy -cx -cy camera intrinsics in pixels, each pair or neither (guessed)\n"
      "  --models DIR    facemirror's models folder; --workers N   workers (default: cores)\n"
      "Accepted, no effect: -q (no progress lines), -verbose, -vis-track, -vis-hog, "
      "-vis-align,\n"
      "  -vis-aus, -format_vis_image F, -oc FOURCC, -validate_detections 1, -multi_view 0,\n"
      "  -mloc .../main_clnf_general.txt (its OpenFace model tree is then the models folder).\n"
      "  Without -mloc the landmarks are CLNF's, not CE-CLM's.\n"
      "Refused (exit 2): -tracked, -wild, -multi_view 1, -validate_detections 0, -sigma, -w_reg,\n"
      "  -reg, -n_iter, -device, -cam_width, -cam_height, -fdloc, -bboxdir, other -mloc models" +
      std::string(images || multi ? ",\n  -hogalign and -simalign" : "") +
      ";\n  any other flag is unknown.\n"
      "Outputs are overwritten, as OpenFace does. Progress and messages go to stderr. Exit\n"
      "status: 0 when every input succeeded, 1 when any failed (the others are still done), 2\n"
      "for a usage error.\n";
  return text;
}

}  // namespace facemirror::cli

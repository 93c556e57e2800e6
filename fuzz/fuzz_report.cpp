// The clinician's report (write_report) on CSVs it did not write: `facemirror report` and the
// web app read whatever output folder a user names, hand-edited or OpenFace's own CSVs included.
// The input is one mirror job's pair (the left face's CSV, a line "===", the right face's; no
// separator: the same text for both) and, from the left face's text, one aus job's CSV. A
// malformed CSV may only fail its own video, with a reason naming a file; every video found
// gets a result, and a video reported as done has its page.
#include <string>

#include "facemirror/report/report.h"

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace facemirror;
  namespace fs = std::filesystem;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const size_t cut = text.find("\n===\n");
  const std::string left = cut == std::string::npos ? text : text.substr(0, cut + 1);
  const std::string right = cut == std::string::npos ? text : text.substr(cut + 5);
  const fs::path dir = fuzz::scratch_dir() / "report";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto write = [](const std::string& name, const std::string& content) {
    (void)fuzz::write_input(reinterpret_cast<const uint8_t*>(content.data()), content.size(),
                            "report/" + name);
  };
  write("v_left_mirrored.csv", left);
  write("v_right_mirrored.csv", right);
  write("w.csv", left);
  report_options options;
  options.stills = 0;                           // no videos here to take stills from
  options.models_dir = dir / "no_models_here";  // provenance notes it missing; no hashing
  return fuzz::parse_or_reject([&] {
    // The pair always counts; w.csv only with a header in OpenFace's layout.
    const size_t videos = find_report_videos(dir).size();
    const std::vector<report_result> results = write_report(dir, options);
    fuzz::check(results.size() == videos);
    for (const report_result& r : results) {
      if (r.ok)
        fuzz::check(fs::is_regular_file(r.html));
      else
        fuzz::check(r.error.find(".csv") != std::string::npos);
    }
  });
}

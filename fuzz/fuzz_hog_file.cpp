// OpenFace's binary HOG file (read_hog_file), which the Python module's read_hog() opens for
// users on any file they name: a bad file may only throw facemirror::error, and a file read
// whole is exactly its records, each of the size its header states.
#include "facemirror/output/hog_file.h"

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace facemirror;
  const auto file = fuzz::write_input(data, size, "input.hog");
  return fuzz::parse_or_reject([&] {
    size_t bytes = 0;
    for (const hog_record& r : read_hog_file(file)) {
      fuzz::check(r.cols >= 0 && r.rows >= 0 && r.channels >= 0);
      fuzz::check(r.values.size() == static_cast<size_t>(r.cols) * static_cast<size_t>(r.rows) *
                                         static_cast<size_t>(r.channels));
      bytes += 16 + 4 * r.values.size();
    }
    fuzz::check(bytes == size);
  });
}

#pragma once
// Reading OpenFace-layout CSV lines in tests.

#include <string>
#include <vector>

namespace facemirror::test {

/// Splits on "," and drops the spaces OpenFace puts after it.
inline std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    size_t end = line.find(',', start);
    std::string field = line.substr(start, end - start);
    field.erase(0, field.find_first_not_of(' '));
    fields.push_back(field);
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  return fields;
}

}  // namespace facemirror::test

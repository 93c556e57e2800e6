#pragma once
// Internal to the report module: the field splitting its CSV readers share (OpenFace's ", "
// and plain "," both read).

#include <sstream>
#include <string>
#include <vector>

namespace facemirror::detail {

/// `s` without leading and trailing blanks (space, tab, CR).
inline std::string trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos)
    return "";
  const size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

/// The comma-separated fields of `line`, each trimmed; a trailing comma ends an empty field.
inline std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ','))
    fields.push_back(trim(field));
  if (!line.empty() && line.back() == ',')
    fields.emplace_back();
  return fields;
}

}  // namespace facemirror::detail

#pragma once
// Internal to the report module: the field splitting its CSV readers share (OpenFace's ", "
// and plain "," both read), and the quoting of the text fields it writes.

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
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

/// `value` as one field of a CSV the report writes: quoted (RFC 4180, quotes doubled) where it
/// holds a comma, a quote, a line break or blanks at an end, as a patient's video name may
/// ("Müller, Anna"); as it is otherwise.
inline std::string csv_field(const std::string& value) {
  const bool plain = value.find_first_of(",\"\r\n") == std::string::npos && trim(value) == value;
  if (plain)
    return value;
  std::string quoted = "\"";
  for (const char c : value)
    quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

/// The whole field as a finite number; nullopt for an empty field, trailing text, a value out
/// of double's range, nan or inf (no column the report reads holds them, nor can a chart place
/// them).
inline std::optional<double> parse_number(const std::string& field) {
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(field.c_str(), &end);
  if (field.empty() || end != field.c_str() + field.size() || errno == ERANGE ||
      !std::isfinite(value))
    return std::nullopt;
  return value;
}

}  // namespace facemirror::detail

#pragma once
// The text of the JSON the CLI writes (records, status files, progress lines, the app's
// replies): a file name that is not UTF-8 (bytes from another system) is written with U+FFFD
// in its place. nlohmann::json's default dump throws on it, and with it went the records of a
// whole run (the command line naming the file is in each), a progress line, or an app reply.

#include <string>

#include <nlohmann/json.hpp>

namespace facemirror::cli {

/// `value` as text, `indent` as nlohmann::json::dump takes it (-1: one line).
[[nodiscard]] inline std::string json_text(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace facemirror::cli

#pragma once
// Running the built CLI from tests and reading what it wrote.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/csv_fields.h"
#include "support/test_data.h"
#include <sys/wait.h>

namespace facemirror::test {

struct cli_run {
  int status = -1;
  std::string output;  // stdout and stderr together
};

inline cli_run run_cli(const std::string& args) {
  cli_run run;
  const std::string command = std::string(FACEMIRROR_CLI_PATH) + " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr)
    return run;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    run.output.append(buffer, n);
  const int status = ::pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

inline std::vector<std::string> read_lines(const std::filesystem::path& file) {
  std::vector<std::string> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

inline std::string models_arg() {
  return "--models " + (*shared_dir() / "models/openface").string();
}

inline std::filesystem::path sample_video(const std::string& name) {
  if (name.rfind("subj", 0) == 0)
    return *shared_dir() / "videos/open_dbm" / name;
  return *shared_dir() / "videos/openface-samples" / name;
}

}  // namespace facemirror::test

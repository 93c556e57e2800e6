#include "shards.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numeric>
#include <stdexcept>
#include <utility>

namespace facemirror::cli {
namespace {

std::string trimmed(const std::string& line) {
  const char* space = " \t\r\n\f\v";
  const size_t first = line.find_first_not_of(space);
  if (first == std::string::npos)
    return {};
  return line.substr(first, line.find_last_not_of(space) - first + 1);
}

int parse_count(const std::string& text, const std::string& what, int min_value) {
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || value < min_value || value > 1000000)
    throw std::invalid_argument(what + " '" + text +
                                "' is not a whole number >= " + std::to_string(min_value));
  return static_cast<int>(value);
}

const char* system_getenv(const char* name) {
  return std::getenv(name);
}

std::string required_variable(const char* (*getenv)(const char*), const char* name) {
  const char* value = getenv(name);
  if (value == nullptr || *value == '\0')
    throw std::invalid_argument(std::string("--shard auto needs $") + name +
                                " (set inside a Slurm array task)");
  return value;
}

}  // namespace

std::vector<std::string> read_manifest(const std::filesystem::path& manifest) {
  std::ifstream in(manifest);
  if (!in)
    throw std::runtime_error("manifest '" + manifest.string() + "': cannot open (" +
                             std::strerror(errno) + ")");
  const std::filesystem::path base = manifest.parent_path();
  std::vector<std::string> inputs;
  bool first_line = true;
  for (std::string line; std::getline(in, line); first_line = false) {
    // Notepad and Excel's "UTF-8" start the file with a byte-order mark: not part of a path.
    if (first_line && line.rfind("\xEF\xBB\xBF", 0) == 0)
      line.erase(0, 3);
    const std::string entry = trimmed(line);
    if (entry.empty() || entry[0] == '#')
      continue;
    const std::filesystem::path path(entry);
    inputs.push_back(path.is_absolute() || base.empty() ? entry : (base / path).string());
  }
  if (in.bad())
    throw std::runtime_error("manifest '" + manifest.string() + "': read error");
  return inputs;
}

shard_spec parse_shard(const std::string& spec, const char* (*getenv)(const char*)) {
  if (getenv == nullptr)
    getenv = system_getenv;
  shard_spec shard;
  if (spec == "auto") {
    const int id =
        parse_count(required_variable(getenv, "SLURM_ARRAY_TASK_ID"), "$SLURM_ARRAY_TASK_ID", 0);
    const char* min_text = getenv("SLURM_ARRAY_TASK_MIN");
    const int min_id = min_text != nullptr && *min_text != '\0'
                           ? parse_count(min_text, "$SLURM_ARRAY_TASK_MIN", 0)
                           : 0;
    shard.count = parse_count(required_variable(getenv, "SLURM_ARRAY_TASK_COUNT"),
                              "$SLURM_ARRAY_TASK_COUNT", 1);
    const char* max_text = getenv("SLURM_ARRAY_TASK_MAX");
    if (max_text != nullptr && *max_text != '\0' &&
        parse_count(max_text, "$SLURM_ARRAY_TASK_MAX", 0) - min_id + 1 != shard.count)
      throw std::invalid_argument(
          "--shard auto: the array's task ids are not contiguous, so its size is not the "
          "shard count; give it as --shard auto/N");
    shard.index = id - min_id;
  } else {
    const size_t slash = spec.find('/');
    if (slash == std::string::npos)
      throw std::invalid_argument("--shard '" + spec + "': expected I/N, auto/N or auto");
    const std::string index_text = spec.substr(0, slash);
    shard.count = parse_count(spec.substr(slash + 1), "shard count", 1);
    shard.index = index_text == "auto"
                      ? parse_count(required_variable(getenv, "SLURM_ARRAY_TASK_ID"),
                                    "$SLURM_ARRAY_TASK_ID", 0)
                      : parse_count(index_text, "shard index", 0);
  }
  if (shard.index >= shard.count) {
    // auto/N takes the task id itself as the index, so that a resubmitted subset (--array=1,3)
    // reruns those shards: an array numbered from 1 misses shard 0 and overruns the last.
    const bool from_task_id = spec.rfind("auto/", 0) == 0;
    throw std::invalid_argument(
        "--shard: index " + std::to_string(shard.index) + " is not below the shard count " +
        std::to_string(shard.count) + " (indices are 0-based" +
        (from_task_id ? "; with auto/N the array task ids are the indices: submit --array=0-" +
                            std::to_string(shard.count - 1)
                      : std::string()) +
        ")");
  }
  return shard;
}

std::vector<int> split_by_work(const std::vector<int64_t>& work, int count) {
  if (count < 1)
    throw std::invalid_argument("split_by_work: shard count must be >= 1");
  std::vector<size_t> order(work.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&work](size_t a, size_t b) { return work[a] > work[b]; });
  // Per shard: work so far, then videos so far (so videos of no known work spread out too).
  std::vector<std::pair<int64_t, size_t>> load(static_cast<size_t>(count), {0, 0});
  std::vector<int> shard_of(work.size(), 0);
  for (const size_t item : order) {
    // min_element returns the first minimum: equal loads go to the lowest shard.
    const auto lightest = std::min_element(load.begin(), load.end());
    shard_of[item] = static_cast<int>(lightest - load.begin());
    lightest->first += std::max<int64_t>(work[item], 0);
    ++lightest->second;
  }
  return shard_of;
}

}  // namespace facemirror::cli

// The batch manifest (--manifest: one input per line) and the --shard spec, as the CLI reads
// them; both report bad input with std::runtime_error / std::invalid_argument (shards.h).
#include <stdexcept>
#include <string>

#include "fuzz_support.h"
#include "shards.h"

namespace {

const char* slurm_variables(const char* name) {
  const std::string n = name;
  return n == "SLURM_ARRAY_TASK_ID" ? "3" : n == "SLURM_ARRAY_TASK_COUNT" ? "8" : nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace facemirror;
  try {
    for (const std::string& input : cli::read_manifest(fuzz::write_input(data, size, "list.txt")))
      fuzz::check(!input.empty());
  } catch (const std::runtime_error&) {
  }
  try {
    const auto shard =
        cli::parse_shard(std::string(reinterpret_cast<const char*>(data), size), slurm_variables);
    fuzz::check(shard.index >= 0 && shard.index < shard.count);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}

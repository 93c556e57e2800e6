#pragma once
// Batches split over many machines: the manifest (one input per line) and the deterministic
// split of its videos into N shards of similar work, so that N independent runs (a Slurm job
// array's tasks) together process every video exactly once.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace facemirror::cli {

/// Reads a manifest: one input (video file or folder) per line. Blank lines and lines starting
/// with '#' are ignored; surrounding whitespace is trimmed; a relative path is relative to the
/// manifest's folder (so a manifest can travel with its videos). Folders are expanded later,
/// like command-line inputs (plan_inputs: the video files directly inside, sorted by name).
/// Throws std::runtime_error naming the manifest and the reason when it cannot be read.
[[nodiscard]] std::vector<std::string> read_manifest(const std::filesystem::path& manifest);

/// Shard I of N (0 <= index < count).
struct shard_spec {
  int index = 0;
  int count = 1;
};

/// Parses --shard: "I/N" (0-based I), "auto/N" (I from the Slurm array task id) or "auto" (I
/// and N from the Slurm array: SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN and
/// SLURM_ARRAY_TASK_COUNT, which only describe the shards when the array is contiguous:
/// a resubmitted subset such as --array=1,3 needs auto/N). `getenv` is injectable for tests.
/// Throws std::invalid_argument with the reason for a malformed spec or missing variables.
[[nodiscard]] shard_spec parse_shard(const std::string& spec,
                                     const char* (*getenv)(const char*) = nullptr);

/// Assigns every item to one of `count` shards so the shards' total work is as even as the
/// greedy longest-first rule makes it: items by decreasing work (equal work: list order), each
/// to the shard with the least work so far (equal: fewest items, then the lowest shard). Depends
/// only on the list, so every task computes the same split. Returns the shard of each item, in list
/// order.
[[nodiscard]] std::vector<int> split_by_work(const std::vector<int64_t>& work, int count);

}  // namespace facemirror::cli

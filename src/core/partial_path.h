#pragma once
// The temporary names that outputs are written under until they are complete, and the
// clean-up of those a killed run left behind. One scheme for every writer (atomic_file, the
// MP4 muxer, the aligned-face folder), so that a rerun recognises all of them.

#include <filesystem>

namespace facemirror::detail {

/// "<target>.partial-<host>-<pid>-<n>": where `target` is written until it is complete and
/// renamed onto it (same folder, so the rename is atomic); n counts up per process, so no two
/// writers of one process share a name (a target name over 150 bytes is cut to 141 and a hash
/// of it, so that the partial name stays within a file name's 255 bytes). First removes the orphans
/// of `target`, the
/// "<target>.partial-*" files and folders of writers that are gone: a run killed with SIGKILL
/// cannot remove its own, the next writer of the same target does. Gone means: of this host
/// and its pid not running or a zombie (a pid reused by a live process keeps its orphan until that
/// process ends), or of another host (an output folder on shared storage) and untouched for an
/// hour.
[[nodiscard]] std::filesystem::path partial_path(const std::filesystem::path& target);

/// Removes the orphans of `target` (as partial_path() does first).
void remove_orphans(const std::filesystem::path& target);

/// Whether an orphan of `target` (as partial_path() judges them) is there.
[[nodiscard]] bool has_orphan(const std::filesystem::path& target);

}  // namespace facemirror::detail

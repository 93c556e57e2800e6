#pragma once
// What an input holds, in a few bytes: what a batch's resume compares to tell whether the
// outputs it finds were made from the file now under that name. Dates cannot tell: `mv`,
// `cp -p`, rsync and unzip keep them, so a swapped or older replacement looks unchanged.
//
// Contract: reads at most 2 MiB of a file (its first and last MiB) and only the listing of a
// frame folder; throws nothing; safe from any thread (no state).

#include <filesystem>
#include <string>

namespace facemirror {

/// A file: its size and the SHA-256 of its first and last MiB (the whole file when smaller).
/// A folder (a frame folder, OpenFace's -fdir): the SHA-256 of its image files' names, sizes
/// and modification times (its frames' pixels would mean reading them all; other files, such
/// as outputs written beside the frames, are not the video). Empty when the input
/// cannot be read: such an input matches no fingerprint, not even its own.
[[nodiscard]] std::string input_fingerprint(const std::filesystem::path& input);

}  // namespace facemirror

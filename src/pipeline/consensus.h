#pragma once
// engine_options::consensus_tracks: a face tracked once per draw of the rounding (the batch
// makes the draws, batch.h), and its CSV written as the cell-wise median of its draws' CSVs.

#include <cstdint>
#include <filesystem>
#include <vector>

namespace facemirror::detail {

/// Offset in float ulps of draw `d` (0, +1, -1, +2, -2, ...): the draws' starts spread evenly
/// around OpenFace's own.
[[nodiscard]] int consensus_offset_ulps(int draw);

struct merged_csv {
  int64_t successful = 0;  // rows whose success cell is 1
};

/// Writes `target` (all or nothing, atomic_file) from the CSVs `draws` (one or more, one layout:
/// the same header and, row by row, the same frame): every cell is the median of the draws'
/// values of that cell. An odd number of draws: the middle draw's cell, copied as that draw
/// wrote it (ties go to the earlier draw), so 0/1 columns (success, AU presence) take the
/// majority. An even number: the exact mean of the two middle draws' cells (at their precision,
/// one digit more where it ends in 5), except in 0/1 columns, which take the earlier of the two
/// middle draws' cell. Throws error(io) naming a draw that cannot be read or the target that
/// cannot be written, error(internal) naming the draw whose layout or frames differ from the
/// first draw's or that holds a cell that is not a number (for an even number of draws, not a
/// fixed-point number of at most 9 decimals, as this project's CSVs print them).
merged_csv write_median_csv(const std::vector<std::filesystem::path>& draws,
                            const std::filesystem::path& target);

}  // namespace facemirror::detail

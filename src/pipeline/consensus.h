#pragma once
// engine_options::consensus_tracks: a batch's aus videos tracked once per draw of the rounding,
// and each CSV written as the cell-wise median of its draws' CSVs.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "batch.h"

namespace facemirror::detail {

/// Offset in float ulps of draw `d` (0, +1, -1, +2, -2, ...): the draws' starts spread evenly
/// around OpenFace's own.
[[nodiscard]] int consensus_offset_ulps(int draw);

struct merged_csv {
  int64_t rows = 0;
  int64_t successful = 0;  // rows whose success cell is 1
};

/// Writes `target` (all or nothing, atomic_file) from the CSVs `draws` (an odd number of them,
/// one layout: the same header and, row by row, the same frame): every cell is the median of
/// the draws' values of that cell, copied as that draw wrote it (ties go to the earlier draw),
/// so 0/1 columns (success, AU presence) take the majority. Throws error(io) naming a draw that
/// cannot be read or the target that cannot be written, error(internal) naming the draw whose
/// layout or frames differ from the first draw's or that holds a cell that is not a number.
merged_csv write_median_csv(const std::vector<std::filesystem::path>& draws,
                            const std::filesystem::path& target);

/// The segmented videos of one engine::run() with consensus_tracks > 1: one batch per draw, run
/// one after another. Draw 0 is the ordinary run (mirror jobs too, which it runs once: their
/// batch measures each mirrored face once per draw itself, batch.h); the aus
/// jobs' CSVs of every draw go to partial names beside their targets (partial_path), and each
/// target is written as their median. Progress counts every draw's frames; a consensus video is
/// "done" (or "failed") once, after its last draw, and so is its on_video_done. A draw not run
/// (the run was stopped) leaves its videos "interrupted". Draws still on disk when the object
/// is destroyed are removed.
class consensus_run {
 public:
  /// `videos` and their indices among run()'s jobs; `sink`: the run's progress for this phase
  /// (run_progress), or empty.
  consensus_run(const std::vector<video_job>& videos, const std::vector<size_t>& job_index,
                const engine_options& options, const analysis_models& models,
                std::function<void(const progress_event&)> sink);
  ~consensus_run();
  consensus_run(const consensus_run&) = delete;
  consensus_run& operator=(const consensus_run&) = delete;

  /// Frames every draw analyses together.
  [[nodiscard]] int64_t progress_total() const { return total_; }

  /// Runs the draws and writes the medians; `results` gets one per video (run()'s numbering).
  void run(const analysis_models& models, int workers, std::vector<video_result>& results);

 private:
  [[nodiscard]] bool is_draw(const std::filesystem::path& csv) const;
  /// Draw d's events as events of the whole run: consensus videos count all their draws' frames.
  std::function<void(const progress_event&)> progress_of(int draw);
  video_result merge(size_t c, const std::vector<std::vector<video_result>>& by_draw);

  const engine_options& options_;
  std::function<void(const progress_event&)> sink_;
  int draws_;
  std::vector<size_t> consensus_;       // the aus jobs' positions among the segmented videos
  std::vector<size_t> consensus_jobs_;  // and in run()'s jobs
  std::vector<std::filesystem::path> targets_;
  std::vector<std::vector<size_t>> index_;  // per draw: its batch's videos as run()'s jobs
  std::vector<std::vector<std::filesystem::path>> paths_;  // per draw: its CSVs of consensus_
  std::vector<engine_options> options_by_draw_;            // the batches keep references
  std::vector<std::unique_ptr<batch>> batches_;
  std::vector<int64_t> before_;  // per draw: the frames of the draws before it
  int64_t total_ = 0;
  int64_t frames_done_ = 0;  // of the whole phase, as last reported
};

}  // namespace facemirror::detail

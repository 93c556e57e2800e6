#pragma once
// All-or-nothing file output: write to a temporary file beside the target, then rename.
//
// WHAT THIS REPRESENTS
//   A file being written. Readers never see a partial target: until commit() the bytes live in
//   "<target>.partial-<host>-<pid>-<n>" in the same directory (so rename() is atomic on POSIX), and
//   a writer destroyed without commit() (error, exception, interrupted run) removes it. The
//   temporary files of a killed run (SIGKILL: no destructor runs) are removed by the next
//   writer of the same target, as are any whose process is no longer running.
//
// THREAD SAFETY
//   One writer per target; not shared between threads.

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string_view>

namespace facemirror {

class atomic_file {
 public:
  /// Creates the temporary file. Throws facemirror::error(io) naming the target on failure.
  explicit atomic_file(std::filesystem::path target);
  ~atomic_file();
  atomic_file(const atomic_file&) = delete;
  atomic_file& operator=(const atomic_file&) = delete;

  void write(std::string_view bytes);

  /// Flushes, syncs and renames onto the target. Throws facemirror::error(io) on failure.
  void commit();

  [[nodiscard]] const std::filesystem::path& temp_path() const { return temp_; }

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  std::FILE* file_ = nullptr;
};

/// A byte-exact copy of `from` (audio and metadata included), written to an atomic_file for
/// `to` that the caller commits with its other outputs. Throws facemirror::error(io) naming the
/// file that cannot be read or created.
[[nodiscard]] std::unique_ptr<atomic_file> atomic_copy(const std::filesystem::path& from,
                                                       const std::filesystem::path& to);

/// Whether a writer that is gone (a run killed with SIGKILL) left a partial file of `target`
/// behind: it was writing `target` when it stopped. The next writer of `target` removes it.
[[nodiscard]] bool has_orphaned_partial(const std::filesystem::path& target);

/// Removes what has_orphaned_partial() finds, for a target that will not be written again soon
/// (a finished video a rerun skips). An orphan that cannot be removed is left, silently.
void remove_orphaned_partials(const std::filesystem::path& target);

}  // namespace facemirror

#pragma once
// Faults injected into the engine's workers on purpose, to prove that a crashing, hanging or
// throwing worker costs only its own video. Test builds only: this library sets the pipeline's
// hidden seam (detail::before_segment), which neither libfacemirror.so nor the installed CLI
// exposes.
//
// Spec "KIND@STEM#SEGMENT[@once]", KIND crash|hang|throw, e.g. "crash@clip#1@once": segment 1
// of the video whose file stem is "clip" aborts its worker (on its first attempt only with
// @once). The tests' CLI (facemirror_fault_cli) takes it from $FACEMIRROR_TEST_FAULT.

#include <string>

#include "pipeline/segment_worker.h"

namespace facemirror::test {

struct fault_plan {
  enum class kind { none, crash, hang, fail } what = kind::none;
  std::string stem;
  int64_t segment = -1;
  bool first_attempt_only = false;

  /// An unreadable spec plans nothing (kind::none).
  [[nodiscard]] static fault_plan parse(const std::string& spec);
  /// Crashes, hangs or throws when `task` of the video `video_stem` is the one planned.
  void trigger(const std::string& video_stem, const detail::segment_task& task) const;
};

/// Plans `spec` for every engine run in this process (and its worker processes) from now on;
/// an empty spec removes the plan. Not thread-safe: call it between runs.
void inject_fault(const std::string& spec);

}  // namespace facemirror::test

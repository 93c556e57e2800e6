#include "support/fault_injection.h"

#include <cstdlib>

#include "facemirror/error.h"

#include <unistd.h>

namespace facemirror::test {
namespace {

// A function-local static: the tests' CLI installs its plan from a static initialiser.
fault_plan& planned() {
  static fault_plan plan;
  return plan;
}

void trigger_planned(const std::string& video_stem, const detail::segment_task& task) {
  planned().trigger(video_stem, task);
}

}  // namespace

fault_plan fault_plan::parse(const std::string& spec) {
  fault_plan plan;
  const auto at = spec.find('@');
  const auto hash = spec.find('#');
  if (spec.empty() || at == std::string::npos || hash == std::string::npos || hash < at) {
    return plan;
  }
  const std::string kind = spec.substr(0, at);
  plan.what = kind == "crash"   ? kind::crash
              : kind == "hang"  ? kind::hang
              : kind == "throw" ? kind::fail
                                : kind::none;
  plan.stem = spec.substr(at + 1, hash - at - 1);
  const auto once = spec.find("@once", hash);
  plan.segment = std::atoll(spec.substr(hash + 1, once - hash - 1).c_str());
  plan.first_attempt_only = once != std::string::npos;
  return plan;
}

void fault_plan::trigger(const std::string& video_stem, const detail::segment_task& task) const {
  if (what == kind::none || video_stem != stem || task.segment != segment)
    return;
  if (first_attempt_only && task.attempt > 0)
    return;
  switch (what) {
    case kind::crash:
      std::abort();
    case kind::hang:
      for (;;)
        ::pause();
    case kind::fail:
      throw error(error_code::internal, "injected test fault");
    case kind::none:
      break;
  }
}

void inject_fault(const std::string& spec) {
  planned() = fault_plan::parse(spec);
  detail::before_segment = planned().what == fault_plan::kind::none ? nullptr : &trigger_planned;
}

}  // namespace facemirror::test

// facemirror_fault_cli's one addition to the CLI: the fault planned in $FACEMIRROR_TEST_FAULT
// (tests/support/fault_injection.h), installed before main() runs.

#include <cstdlib>

#include "support/fault_injection.h"

namespace {

const bool fault_planned = [] {
  const char* spec = std::getenv("FACEMIRROR_TEST_FAULT");
  if (spec != nullptr)
    facemirror::test::inject_fault(spec);
  return spec != nullptr;
}();

}  // namespace

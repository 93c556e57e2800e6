#include <gtest/gtest.h>

#include "support/fault_injection.h"

namespace facemirror::test {
namespace {

TEST(fault_plan_test, parses_kind_stem_segment_and_once) {
  auto plan = fault_plan::parse("crash@clip_a#3@once");
  EXPECT_EQ(plan.what, fault_plan::kind::crash);
  EXPECT_EQ(plan.stem, "clip_a");
  EXPECT_EQ(plan.segment, 3);
  EXPECT_TRUE(plan.first_attempt_only);
  plan = fault_plan::parse("hang@x#0");
  EXPECT_EQ(plan.what, fault_plan::kind::hang);
  EXPECT_FALSE(plan.first_attempt_only);
  EXPECT_EQ(fault_plan::parse("").what, fault_plan::kind::none);
  EXPECT_EQ(fault_plan::parse("nonsense").what, fault_plan::kind::none);
}

TEST(fault_plan_test, throw_fires_only_on_the_planned_segment_and_attempt) {
  const auto plan = fault_plan::parse("throw@clip#2@once");
  detail::segment_task task;
  task.segment = 2;
  EXPECT_THROW(plan.trigger("clip", task), std::runtime_error);
  EXPECT_NO_THROW(plan.trigger("other", task));
  task.attempt = 1;
  EXPECT_NO_THROW(plan.trigger("clip", task));
  task.attempt = 0;
  task.segment = 1;
  EXPECT_NO_THROW(plan.trigger("clip", task));
}

}  // namespace
}  // namespace facemirror::test

#include "mirror_tag.h"

#include <gtest/gtest.h>

namespace facemirror::detail {
namespace {

TEST(mirror_tag_test, round_trips_the_segment_length) {
  for (int frames : {1, 240, 999999999})
    EXPECT_EQ(mirrored_segment_frames(mirrored_comment(frames)), frames);
}

// The tag is read from any video given to `aus`: everything but the exact tag is "not mirrored".
TEST(mirror_tag_test, anything_else_is_not_a_mirrored_video) {
  const std::string tag = mirrored_comment(240);
  const std::string prefix = tag.substr(0, tag.size() - 3);
  for (const std::string& comment :
       {std::string(), std::string("recorded by a phone"), prefix, prefix + "0", prefix + "0240",
        prefix + "-5", prefix + "+5", prefix + " 5", prefix + "5 ", prefix + "1234567890",
        prefix + "99999999999999999999", prefix + "12x", "x" + tag, tag.substr(1),
        prefix + std::string("4\0"
                             "2",
                             3)}) {
    EXPECT_EQ(mirrored_segment_frames(comment), std::nullopt) << comment;
  }
}

}  // namespace
}  // namespace facemirror::detail

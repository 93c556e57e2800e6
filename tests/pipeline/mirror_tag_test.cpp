#include "mirror_tag.h"

#include <gtest/gtest.h>

namespace facemirror::detail {
namespace {

TEST(mirror_tag_test, reads_this_versions_tag_and_the_earlier_segmented_one) {
  EXPECT_TRUE(is_mirrored_face(mirrored_comment()));
  // The tag of the files in shared/videos/mirrored (written before the mirrored faces were
  // tracked as one segment).
  for (const char* earlier : {"facemirror mirrored face; segment_frames=240",
                              "facemirror mirrored face; segment_frames=1",
                              "facemirror mirrored face; segment_frames=999999999"})
    EXPECT_TRUE(is_mirrored_face(earlier)) << earlier;
}

// The tag is read from any video given to `aus`: everything but the exact tags is "not mirrored".
TEST(mirror_tag_test, anything_else_is_not_a_mirrored_video) {
  const std::string tag = mirrored_comment();
  const std::string prefix = tag + "; segment_frames=";
  for (const std::string& comment :
       {std::string(), std::string("recorded by a phone"), tag + " ", tag + ";", prefix,
        prefix + "0", prefix + "0240", prefix + "-5", prefix + "+5", prefix + " 5", prefix + "5 ",
        prefix + "1234567890", prefix + "99999999999999999999", prefix + "12x", "x" + tag,
        tag.substr(1), tag.substr(0, tag.size() - 1),
        prefix + std::string("4\0"
                             "2",
                             3)}) {
    EXPECT_FALSE(is_mirrored_face(comment)) << comment;
  }
}

}  // namespace
}  // namespace facemirror::detail

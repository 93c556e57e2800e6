// Landmark-fed AU fidelity against OpenFace 2.2 on changeLighting.wmv (88 frames): the AU
// engine alone, fed OpenFace's own landmarks, must reproduce OpenFace's AU columns.
#include <gtest/gtest.h>

#include "landmark_harness.h"
#include "support/test_data.h"

namespace facemirror {
namespace {

void check_video(const std::string& name, au_model_set::kind kind) {
  const auto shared = *test::shared_dir();
  const std::string stem = std::filesystem::path(name).stem().string();
  const auto ref_dir = shared / "reference/openface22";
  const auto landmarks = test::read_csv(ref_dir / (stem + ".csv"));
  const auto values = kind == au_model_set::kind::dynamic
                          ? landmarks
                          : test::read_csv(ref_dir / "au_static" / (stem + ".csv"));
  const auto models = au_model_set::load(shared / "models/openface/AU_predictors", kind);
  const auto result = test::run_landmark_fed(models, shared / "videos/openface-samples" / name,
                                             test::landmarks_from_reference(landmarks), false);
  test::write_au_csv(test::scratch_dir() / (stem + ".csv"), *models, result);
  const auto f = test::compare_with_reference(values, *models, result);
  ::testing::Test::RecordProperty("mean_r", std::to_string(f.mean_r));
  EXPECT_GE(f.mean_r, 0.995) << f.detail;
  EXPECT_LE(f.mae, 0.02) << f.detail;
  EXPECT_GE(f.presence_agreement, 0.98) << f.detail;
  std::cout << stem << ": mean r " << f.mean_r << ", min r " << f.min_r << " (" << f.worst_au
            << "), MAE " << f.mae << ", _c agreement " << f.presence_agreement << ", extract "
            << result.extract_ms << " ms/frame, predict " << result.predict_ms << " ms/frame\n";
}

TEST(AuFidelity, ChangeLightingDynamic) {
  FACEMIRROR_REQUIRE_SHARED();
  check_video("changeLighting.wmv", au_model_set::kind::dynamic);
}

TEST(AuFidelity, ChangeLightingStatic) {
  FACEMIRROR_REQUIRE_SHARED();
  check_video("changeLighting.wmv", au_model_set::kind::static_only);
}

}  // namespace
}  // namespace facemirror

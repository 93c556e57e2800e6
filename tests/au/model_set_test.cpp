#include <algorithm>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "facemirror/au/au_engine.h"
#include "facemirror/error.h"
#include "facemirror/features/au_descriptors.h"

#include "support/test_data.h"

namespace facemirror {
namespace {

std::filesystem::path au_dir() {
  return *test::shared_dir() / "models/openface/AU_predictors";
}

TEST(AuModelSet, LoadsOpenFaceDynamicModels) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto m = au_model_set::load(au_dir(), au_model_set::kind::dynamic);
  const std::vector<std::string> intensity = {"AU01", "AU02", "AU04", "AU05", "AU06", "AU07",
                                              "AU09", "AU10", "AU12", "AU14", "AU15", "AU17",
                                              "AU20", "AU23", "AU25", "AU26", "AU45"};
  EXPECT_EQ(m->intensity_names(), intensity);
  ASSERT_EQ(m->presence_names().size(), 18u);
  EXPECT_TRUE(std::is_sorted(m->presence_names().begin(), m->presence_names().end()));
  EXPECT_NE(std::find(m->presence_names().begin(), m->presence_names().end(), "AU28"),
            m->presence_names().end());
  EXPECT_EQ(m->hog_length(), 4464);
  EXPECT_EQ(m->geometry_length(), 238);
  int dynamic_svr = 0, dynamic_svm = 0;
  for (const auto& model : m->models()) {
    dynamic_svr += model.kind == linear_model_kind::svr_dynamic;
    dynamic_svm += model.kind == linear_model_kind::svm_dynamic;
    if (model.kind == linear_model_kind::svr_dynamic) {
      EXPECT_GT(model.cutoff, 0.0);
    }
  }
  EXPECT_EQ(dynamic_svr, 11);  // AU01 02 05 09 15 17 20 23 25 26 45
  EXPECT_EQ(dynamic_svm, 10);  // all but AU04..AU14 statics and AU23
  EXPECT_TRUE(m->any_dynamic());
}

TEST(AuModelSet, LoadsOpenFaceStaticModels) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto m = au_model_set::load(au_dir(), au_model_set::kind::static_only);
  EXPECT_EQ(m->intensity_names().size(), 17u);
  EXPECT_EQ(m->presence_names().size(), 18u);
  EXPECT_FALSE(m->any_dynamic());
}

TEST(AuModelSet, TruncatedModelFileNamesTheFile) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto dir = test::scratch_dir() / "AU_predictors";
  std::filesystem::copy(au_dir(), dir, std::filesystem::copy_options::recursive);
  // The shared data is read-only and copies keep that; make the copy writable (and so
  // removable by the next run's scratch_dir()).
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    std::filesystem::permissions(e.path(), std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::add);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  const auto victim = dir / "svr_combined/AU_12_static_intensity_comb.dat";
  std::filesystem::resize_file(victim, 1000);
  try {
    (void)au_model_set::load(dir, au_model_set::kind::dynamic);
    FAIL() << "no error";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_code::model_format);
    EXPECT_NE(std::string(e.what()).find("AU_12_static_intensity_comb.dat"), std::string::npos)
        << e.what();
  }
  // The static set does not use that file... but it does use AU_12_static_intensity_comb too.
  EXPECT_THROW((void)au_model_set::load(dir, au_model_set::kind::static_only), error);
  EXPECT_THROW((void)au_model_set::load(test::scratch_dir(), au_model_set::kind::dynamic), error);
}

TEST(AuFeatureExtractor, FeatureSizesForGoodAndFailedFrames) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto models = au_model_set::load(au_dir(), au_model_set::kind::dynamic);
  const au_feature_extractor extractor(models);
  // A face-sized PDM mean shape placed in a textured frame.
  pdm_params p;
  p.scale = 2.0;
  p.tx = 320;
  p.ty = 240;
  p.local.assign(models->pdm().mode_count(), 0.0);
  const landmarks_2d lm = models->pdm().project(p);
  cv::Mat frame(480, 640, CV_8UC3);
  cv::randu(frame, 0, 255);
  const auto good = extractor.extract(frame, lm, true);
  EXPECT_TRUE(good.success);
  EXPECT_EQ(good.hog.size(), 4464u);
  EXPECT_EQ(good.geometry.size(), 238u);
  EXPECT_NEAR(good.params.scale, 2.0, 0.05);
  const auto face = extractor.aligned_face(frame, lm, good.params);
  EXPECT_EQ(face.size(), cv::Size(112, 112));
  EXPECT_EQ(face.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 0));  // corners are masked out
  EXPECT_GT(cv::countNonZero(face.reshape(1)), 112 * 112);  // most of the face is kept

  const auto failed = extractor.extract(frame, lm, false);
  EXPECT_FALSE(failed.success);
  EXPECT_EQ(failed.hog.size(), 4464u);
  EXPECT_EQ(failed.geometry, std::vector<double>(238, 0.0));

  cv::Mat grey;
  cv::extractChannel(frame, grey, 0);
  EXPECT_EQ(extractor.extract(grey, lm, true).hog.size(), 4464u);
  EXPECT_THROW((void)extractor.extract(cv::Mat(480, 640, CV_32FC3), lm, true), error);
}

// The AU models are sized by fhog_length, the features by extract_fhog: they must agree for
// sizes that are not a whole number of cells too (dlib rounds the cell count to nearest).
TEST(AuFeatureExtractor, FhogLengthIsTheLengthExtractFhogReturns) {
  for (const int cell : {4, 8})
    for (int size = 2 * cell; size <= 5 * cell; ++size)
      EXPECT_EQ(extract_fhog(cv::Mat::zeros(size, size, CV_8UC1), cell).size(),
                static_cast<size_t>(fhog_length(size, cell)))
          << size << " pixels, cell " << cell;
}

// OpenFace's geometry features are V * local (the shape minus the mean), then local: the SVRs'
// weights are in that order, so a swap would go unnoticed by the sizes alone.
TEST(AuFeatureExtractor, GeometryIsTheShapeVariationThenTheLocalWeights) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto models = au_model_set::load(au_dir(), au_model_set::kind::static_only);
  const point_distribution_model& pdm = models->pdm();
  std::vector<double> local(pdm.mode_count(), 0.0);
  local[0] = 3.0;
  local[5] = -2.0;
  const std::vector<double> geometry = geometry_descriptor(pdm, local);
  const cv::Mat_<double> shape = pdm.shape_3d(local), mean = pdm.shape_3d({});
  ASSERT_EQ(geometry.size(), static_cast<size_t>(shape.rows) + local.size());
  for (int i = 0; i < shape.rows; ++i)
    EXPECT_NEAR(geometry[i], shape(i) - mean(i), 1e-9) << i;
  EXPECT_EQ(std::vector<double>(geometry.begin() + shape.rows, geometry.end()), local);
}

TEST(AuFeatureExtractor, ConcurrentCallsMatchSequentialOnes) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto models = au_model_set::load(au_dir(), au_model_set::kind::dynamic);
  const au_feature_extractor extractor(models);
  cv::Mat frame(480, 640, CV_8UC3);
  cv::randu(frame, 0, 255);
  std::vector<landmarks_2d> inputs;
  for (int i = 0; i < 16; ++i) {
    pdm_params p;
    p.scale = 1.5 + 0.05 * i;
    p.rz = 0.02 * i;
    p.tx = 300 + i;
    p.ty = 240 - i;
    p.local.assign(models->pdm().mode_count(), 0.0);
    p.local[0] = i - 8.0;
    inputs.push_back(models->pdm().project(p));
  }
  std::vector<au_features> expected;
  for (const auto& lm : inputs)
    expected.push_back(extractor.extract(frame, lm, true));
  std::vector<std::vector<au_features>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (const auto& lm : inputs)
        got[t].push_back(extractor.extract(frame, lm, true));
    });
  for (auto& th : threads)
    th.join();
  for (const auto& run : got)
    for (size_t i = 0; i < inputs.size(); ++i) {
      EXPECT_EQ(run[i].hog, expected[i].hog);
      EXPECT_EQ(run[i].geometry, expected[i].geometry);
    }
}

}  // namespace
}  // namespace facemirror

#include <cstdint>
#include <fstream>

#include <gtest/gtest.h>

#include "facemirror/au/linear_model.h"
#include "facemirror/error.h"

#include "support/test_data.h"

namespace facemirror {
namespace {

class model_writer {
 public:
  template <typename T>
  model_writer& put(T v) {
    bytes_.append(reinterpret_cast<const char*>(&v), sizeof v);
    return *this;
  }
  model_writer& matrix(int rows, int cols, const std::vector<double>& v, int type = 6) {
    put<int32_t>(rows).put<int32_t>(cols).put<int32_t>(type);
    for (double x : v)
      type == 6 ? put<double>(x) : put<float>(static_cast<float>(x));
    return *this;
  }
  std::filesystem::path save(const std::filesystem::path& file, size_t truncate_by = 0) const {
    std::ofstream(file, std::ios::binary).write(bytes_.data(), bytes_.size() - truncate_by);
    return file;
  }
  [[nodiscard]] size_t size() const { return bytes_.size(); }

 private:
  std::string bytes_;
};

model_writer dynamic_svr() {
  model_writer w;
  w.put<int32_t>(1).put<double>(0.65).matrix(1, 3, {0.1, 0.2, 0.0}).matrix(3, 1, {1, -2, 3});
  w.put<double>(-0.25);
  return w;
}

model_writer static_svm() {
  model_writer w;
  w.put<int32_t>(4).matrix(1, 2, {0.5, 0.5}).matrix(2, 1, {2, 2}, 5).put<double>(0.125);
  w.put<double>(0.0).put<double>(1.0);  // positive class 0, negative class 1
  return w;
}

void expect_model_format(const std::filesystem::path& file, const std::string& reason) {
  try {
    (void)read_linear_au_model(file, "AU01");
    FAIL() << "no error for " << file;
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_code::model_format);
    const std::string what = e.what();
    EXPECT_NE(what.find(file.string()), std::string::npos) << what;
    EXPECT_NE(what.find(reason), std::string::npos) << what;
  }
}

TEST(ModelIo, ReadsDynamicSvr) {
  const auto file = dynamic_svr().save(test::scratch_dir() / "dyn.dat");
  const auto m = read_linear_au_model(file, "AU20");
  EXPECT_EQ(m.au, "AU20");
  EXPECT_EQ(m.kind, linear_model_kind::svr_dynamic);
  EXPECT_TRUE(m.dynamic());
  EXPECT_FALSE(m.classifier());
  EXPECT_DOUBLE_EQ(m.cutoff, 0.65);
  EXPECT_EQ(m.means, (std::vector<double>{0.1, 0.2, 0.0}));
  EXPECT_EQ(m.weights, (std::vector<double>{1, -2, 3}));
  EXPECT_DOUBLE_EQ(m.bias, -0.25);
}

TEST(ModelIo, ReadsStaticSvmWithFloatWeightsAndClasses) {
  const auto file = static_svm().save(test::scratch_dir() / "AU_1_dynamic.dat");
  const auto m = read_linear_au_model(file, "AU01");  // the tag wins over the name
  EXPECT_EQ(m.kind, linear_model_kind::svm_static);
  EXPECT_TRUE(m.classifier());
  EXPECT_FALSE(m.dynamic());
  EXPECT_LT(m.cutoff, 0);
  EXPECT_EQ(m.weights, (std::vector<double>{2, 2}));
  EXPECT_DOUBLE_EQ(m.positive_class, 0.0);
  EXPECT_DOUBLE_EQ(m.negative_class, 1.0);
}

TEST(ModelIo, EveryTruncationIsAModelFormatError) {
  const auto dir = test::scratch_dir();
  const auto w = dynamic_svr();
  for (size_t cut = 1; cut < w.size(); cut += 3)
    expect_model_format(w.save(dir / ("cut" + std::to_string(cut) + ".dat"), cut), "truncated");
}

TEST(ModelIo, RejectsBadTagShapeTypeAndTrailingBytes) {
  const auto dir = test::scratch_dir();
  model_writer bad_tag;
  bad_tag.put<int32_t>(9);
  expect_model_format(bad_tag.save(dir / "tag.dat"), "type tag 9");

  model_writer bad_shape;
  bad_shape.put<int32_t>(0).matrix(1, 3, {0, 0, 0}).matrix(2, 1, {1, 1}).put<double>(0);
  expect_model_format(bad_shape.save(dir / "shape.dat"), "weights");

  model_writer bad_type;
  bad_type.put<int32_t>(0).matrix(1, 1, {0}, 4);
  expect_model_format(bad_type.save(dir / "type.dat"), "element type");

  auto trailing = static_svm();
  trailing.put<double>(1.0);
  expect_model_format(trailing.save(dir / "trailing.dat"), "trailing");

  expect_model_format(dir / "missing.dat", "cannot open");
}

TEST(ModelIo, AuListResolvesPathsAgainstItsFolder) {
  const auto dir = test::scratch_dir();
  std::ofstream(dir / "list.txt") << "svr/AU_1.dat AU01\n\nsvm/AU_2.dat AU02\n";
  const auto list = read_au_list(dir / "list.txt");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].file, dir / "svr/AU_1.dat");
  EXPECT_EQ(list[1].au, "AU02");
  std::ofstream(dir / "bad.txt") << "svr/AU_1.dat\n";
  EXPECT_THROW((void)read_au_list(dir / "bad.txt"), error);
}

}  // namespace
}  // namespace facemirror

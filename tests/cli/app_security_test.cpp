// The app's gatekeeping rules (tools/facemirror/app_security.h) on their own.

#include "app_security.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include <unistd.h>

namespace facemirror::cli {
namespace {

namespace fs = std::filesystem;

TEST(AppSecurity, TokenIsRandomHexAndComparedWhole) {
  const std::string a = random_token();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, random_token());
  EXPECT_TRUE(token_matches(a, a));
  EXPECT_FALSE(token_matches(a.substr(0, 31), a));
  EXPECT_FALSE(token_matches(a + "0", a));
  EXPECT_FALSE(token_matches("", ""));
  std::string flipped = a;
  flipped[31] = flipped[31] == '0' ? '1' : '0';
  EXPECT_FALSE(token_matches(flipped, a));
}

TEST(AppSecurity, AFileAddressCarriesItsToken) {
  const std::string token(32, 'a');
  EXPECT_EQ(token_in_file_url("/files/" + token + "/data/out/index.html"), token);
  EXPECT_EQ(token_in_file_url("/files/" + token), "");  // no file named
  EXPECT_EQ(token_in_file_url("/api/list"), "");
  EXPECT_EQ(token_in_file_url("/x/files/" + token + "/a"), "");
  EXPECT_EQ(token_in_file_url("/filesx/" + token + "/a"), "");
}

TEST(AppSecurity, OnlyOurHostAndOrigin) {
  EXPECT_TRUE(host_allowed("127.0.0.1:8080", 8080));
  EXPECT_TRUE(host_allowed("localhost:8080", 8080));
  EXPECT_FALSE(host_allowed("127.0.0.1:8081", 8080));
  EXPECT_FALSE(host_allowed("evil.example:8080", 8080));  // DNS rebinding
  EXPECT_FALSE(host_allowed("127.0.0.1", 8080));
  EXPECT_FALSE(host_allowed("", 8080));
  EXPECT_TRUE(origin_allowed("", 8080));
  EXPECT_TRUE(origin_allowed("http://127.0.0.1:8080", 8080));
  EXPECT_FALSE(origin_allowed("http://evil.example", 8080));
  EXPECT_FALSE(origin_allowed("null", 8080));
  EXPECT_FALSE(origin_allowed("http://127.0.0.1:8080.evil.example", 8080));
}

TEST(AppSecurity, PathsMustStayInsideTheRoots) {
  const fs::path base =
      fs::temp_directory_path() / ("facemirror_app_security_" + std::to_string(::getpid()));
  fs::remove_all(base);
  fs::create_directories(base / "root" / "videos");
  fs::create_directories(base / "rootless");
  std::ofstream(base / "secret.txt") << "x";
  fs::create_symlink(base / "secret.txt", base / "root" / "link");
  const std::vector<fs::path> roots = {fs::canonical(base / "root")};

  EXPECT_TRUE(inside_roots((base / "root").string(), roots));
  EXPECT_TRUE(inside_roots((base / "root" / "videos").string(), roots));
  EXPECT_TRUE(inside_roots((base / "root" / "not_yet" / "out").string(), roots));  // to create
  EXPECT_FALSE(inside_roots((base / "root" / ".." / "secret.txt").string(), roots));
  EXPECT_FALSE(inside_roots((base / "rootless").string(), roots));       // a shared prefix only
  EXPECT_FALSE(inside_roots((base / "root" / "link").string(), roots));  // a link leading out
  EXPECT_FALSE(inside_roots("/etc/passwd", roots));
  EXPECT_FALSE(inside_roots("videos", roots));  // relative
  EXPECT_FALSE(inside_roots("", roots));
  fs::remove_all(base);
}

TEST(AppSecurity, ATaskPlanIsWrittenOnlyInsideTheRoots) {
  const fs::path base =
      fs::temp_directory_path() / ("facemirror_app_plans_" + std::to_string(::getpid()));
  fs::remove_all(base);
  fs::create_directories(base / "root" / "videos");
  std::ofstream(base / "secret.csv") << "x";
  for (const char* name : {"a.mp4", "b.mp4", "c.mp4"})
    std::ofstream(base / "root" / "videos" / name) << "x";
  fs::create_symlink(base / "secret.csv", base / "root" / "videos" / "b_tasks.csv");
  fs::create_symlink(base / "root" / "videos" / "a.mp4", base / "root" / "videos" / "c_tasks.csv");
  std::ofstream(base / "outside.mp4") << "x";
  const fs::path root = fs::canonical(base / "root");
  const std::vector<fs::path> roots = {root};

  EXPECT_EQ(task_plan_beside((base / "root" / "videos" / "a.mp4").string(), roots),
            root / "videos" / "a_tasks.csv");  // not there yet: to be written
  EXPECT_FALSE(task_plan_beside((base / "root" / "videos" / "b.mp4").string(), roots));
  // A link, even one inside the roots: the editor would write a video over.
  EXPECT_FALSE(task_plan_beside((base / "root" / "videos" / "c.mp4").string(), roots));
  // Both faces of a mirrored pair: the pair's plan.
  EXPECT_EQ(task_plan_beside((base / "root" / "videos" / "p_left_mirrored.mp4").string(), roots),
            root / "videos" / "p_tasks.csv");
  EXPECT_EQ(task_plan_beside((base / "root" / "videos" / "p_right_mirrored.mp4").string(), roots),
            root / "videos" / "p_tasks.csv");
  EXPECT_FALSE(task_plan_beside((base / "outside.mp4").string(), roots));
  EXPECT_FALSE(task_plan_beside((base / "root" / ".." / "outside.mp4").string(), roots));
  EXPECT_FALSE(task_plan_beside("", roots));
  fs::remove_all(base);
}

}  // namespace
}  // namespace facemirror::cli

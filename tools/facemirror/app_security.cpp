#include "app_security.h"

#include <random>

#include "facemirror/report/tasks.h"

namespace facemirror::cli {

namespace fs = std::filesystem;

std::string random_token() {
  std::random_device device;
  static const char* hex = "0123456789abcdef";
  std::string token;
  for (int i = 0; i < 32; ++i)
    token += hex[device() % 16];
  return token;
}

bool token_matches(const std::string& given, const std::string& token) {
  if (given.size() != token.size() || token.empty())
    return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < token.size(); ++i)
    difference |= static_cast<unsigned char>(given[i] ^ token[i]);
  return difference == 0;
}

std::string token_in_file_url(const std::string& url_path) {
  const std::string prefix = "/files/";
  if (url_path.rfind(prefix, 0) != 0)
    return "";
  const size_t end = url_path.find('/', prefix.size());
  return end == std::string::npos ? "" : url_path.substr(prefix.size(), end - prefix.size());
}

bool host_allowed(const std::string& host, int port) {
  const std::string suffix = ":" + std::to_string(port);
  return host == "127.0.0.1" + suffix || host == "localhost" + suffix;
}

bool origin_allowed(const std::string& origin, int port) {
  return origin.empty() || origin == "http://127.0.0.1:" + std::to_string(port) ||
         origin == "http://localhost:" + std::to_string(port);
}

std::optional<fs::path> inside_roots(const std::string& path, const std::vector<fs::path>& roots) {
  if (path.empty() || path.find('\0') != std::string::npos)
    return std::nullopt;
  const fs::path given(path);
  if (!given.is_absolute())
    return std::nullopt;
  std::error_code ec;
  const fs::path resolved = fs::weakly_canonical(given, ec);
  if (ec)
    return std::nullopt;
  for (const auto& root : roots) {
    // Component by component: /data/ab is not inside /data/a.
    auto r = root.begin();
    auto p = resolved.begin();
    for (; r != root.end() && p != resolved.end() && *r == *p; ++r, ++p) {
    }
    if (r == root.end() || (std::next(r) == root.end() && r->empty()))
      return resolved;
  }
  return std::nullopt;
}

std::optional<fs::path> task_plan_beside(const std::string& video,
                                         const std::vector<fs::path>& roots) {
  const auto resolved = inside_roots(video, roots);
  if (!resolved)
    return std::nullopt;
  const fs::path plan = task_plan_beside_video(*resolved);
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status(plan, ec)))
    return std::nullopt;
  return plan;
}

}  // namespace facemirror::cli

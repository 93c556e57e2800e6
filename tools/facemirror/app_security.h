#pragma once
// The local web app's gatekeeping, as pure functions (tested without a server).
//
// The app listens on 127.0.0.1 only, but any web page the user visits can make the browser send
// requests there. So every request must carry the random token printed with the URL, name our
// own host and port in Host (a foreign name is a DNS-rebinding page), come from our own Origin
// when the browser says where it comes from, and name only paths inside the folders the user
// chose to expose (the roots).

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace facemirror::cli {

/// 32 hex digits from std::random_device.
[[nodiscard]] std::string random_token();

/// Constant-time comparison: the time taken does not depend on where they differ.
[[nodiscard]] bool token_matches(const std::string& given, const std::string& token);

/// The token of a file's address, /files/TOKEN/absolute/path ("" for any other path): files
/// are named by their path so that a report's relative links reach their neighbours.
[[nodiscard]] std::string token_in_file_url(const std::string& url_path);

/// Host is exactly "127.0.0.1:PORT" or "localhost:PORT".
[[nodiscard]] bool host_allowed(const std::string& host, int port);

/// Origin is absent (a top-level navigation or same-origin GET) or our own
/// "http://127.0.0.1:PORT" / "http://localhost:PORT".
[[nodiscard]] bool origin_allowed(const std::string& origin, int port);

/// The path, with symbolic links and ".." resolved, when it lies inside one of `roots`
/// (themselves canonical); nullopt otherwise or when `path` is empty or relative.
[[nodiscard]] std::optional<std::filesystem::path> inside_roots(
    const std::string& path, const std::vector<std::filesystem::path>& roots);

/// The task plan `<stem>_tasks.csv` beside `video` (report/tasks.h; one face of a mirrored pair
/// shares the pair's, task_plan_stem()), the video's folder
/// resolved as inside_roots() resolves it; nullopt when the video is not inside `roots` or the
/// plan is a symbolic link (the app's editor writes the plan: followed, a link could lead to any
/// file, a video among them; replaced, it would be cut). The plan need not exist yet.
[[nodiscard]] std::optional<std::filesystem::path> task_plan_beside(
    const std::string& video, const std::vector<std::filesystem::path>& roots);

}  // namespace facemirror::cli

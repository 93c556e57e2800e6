#include "core/partial_path.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <system_error>

#include <signal.h>
#include <unistd.h>

namespace facemirror::detail {
namespace {

namespace fs = std::filesystem;

std::atomic<unsigned> partial_counter{0};

// A partial file of another machine (an output folder on shared storage) is an orphan only
// when untouched this long: its pid means nothing here, and a live writer adds to its file
// (or its folder) with every frame or chunk.
constexpr auto foreign_orphan_age = std::chrono::hours(1);

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0')
    return "localhost";
  return name;
}

const std::string& this_host() {
  static const std::string name = host_name();
  return name;
}

// Whether process `pid` of this machine has ended: none runs under that pid, or it is a zombie
// (killed, not yet reaped: its parent was killed with it and whoever adopts it reaps it late, or
// never where the container's first process reaps nothing). kill(pid, 0) succeeds on a zombie.
bool process_ended(pid_t pid) {
  if (::kill(pid, 0) != 0)
    return errno == ESRCH;
  // /proc/<pid>/stat: "<pid> (<command>) <state> ..."; the command may hold ')' and spaces.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line))
    return false;
  const auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size())
    return false;
  const char state = line[close + 2];
  return state == 'Z' || state == 'X';
}

// Whether `rest` (what follows "<target>.partial-") names a writer that is gone: one of this
// machine whose process is not running, or another machine's untouched for an hour.
bool orphaned(const fs::path& file, const std::string& rest) {
  // rest is "<host>-<pid>-<n>"; the host may itself contain '-'.
  const auto last = rest.rfind('-');
  const auto middle =
      last == std::string::npos || last == 0 ? std::string::npos : rest.rfind('-', last - 1);
  if (middle == std::string::npos)
    return false;
  // Digits to the end: "x.csv.partial-vm-7-0.csv" is a finished output of its own (the CSV of a
  // video named so), not x.csv's writer's.
  const std::string pid_text = rest.substr(middle + 1, last - middle - 1);
  const std::string count_text = rest.substr(last + 1);
  const auto digits = [](const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(),
                                        [](unsigned char c) { return std::isdigit(c) != 0; });
  };
  if (!digits(pid_text) || !digits(count_text))
    return false;
  const std::string host = rest.substr(0, middle);
  const pid_t pid = static_cast<pid_t>(std::atol(pid_text.c_str()));
  if (host == this_host()) {
    return pid > 0 && pid != ::getpid() && process_ended(pid);
  }
  std::error_code ec;
  const auto modified = fs::last_write_time(file, ec);
  return !ec && fs::file_time_type::clock::now() - modified > foreign_orphan_age;
}

// What a partial file's name starts with: "<target's name>.partial-". A name so long that the
// suffix (up to ~90 bytes: a 64-byte host name, the pid, the count) would pass the 255 bytes a
// file name may have is cut and told apart by a hash of the whole: the target itself fits,
// so its partial file must too.
std::string partial_prefix(const fs::path& target) {
  constexpr size_t longest_kept = 150;
  std::string name = target.filename().string();
  if (name.size() > longest_kept) {
    uint32_t hash = 2166136261u;  // FNV-1a
    for (const unsigned char c : name)
      hash = (hash ^ c) * 16777619u;
    char tail[16];
    std::snprintf(tail, sizeof(tail), "~%08x", static_cast<unsigned>(hash));
    name = name.substr(0, longest_kept - 9) + tail;
  }
  return name + ".partial-";
}

// The orphans of `target` in its folder; `on_orphan` returns whether to look for more.
template <typename Visit>
void visit_orphans(const fs::path& target, Visit on_orphan) {
  const std::string prefix = partial_prefix(target);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) == 0 &&
        orphaned(it->path(), name.substr(prefix.size())) && !on_orphan(it->path()))
      return;
  }
}

}  // namespace

void remove_orphans(const fs::path& target) {
  visit_orphans(target, [](const fs::path& orphan) {
    std::error_code ignored;  // an orphan that cannot be removed is only a leftover
    fs::remove_all(orphan, ignored);
    return true;
  });
}

bool has_orphan(const fs::path& target) {
  bool found = false;
  visit_orphans(target, [&found](const fs::path&) {
    found = true;
    return false;
  });
  return found;
}

fs::path partial_path(const fs::path& target) {
  remove_orphans(target);
  return target.parent_path() /
         (partial_prefix(target) + this_host() + "-" + std::to_string(::getpid()) + "-" +
          std::to_string(partial_counter++));
}

}  // namespace facemirror::detail

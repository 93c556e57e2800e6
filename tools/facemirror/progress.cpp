#include "progress.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "json_text.h"
#include <unistd.h>

namespace facemirror::cli {

progress_style parse_progress_style(const std::string& name) {
  if (name == "json")
    return progress_style::json;
  if (name == "bar")
    return progress_style::bar;
  if (name == "none")
    return progress_style::none;
  return ::isatty(STDERR_FILENO) ? progress_style::bar : progress_style::none;
}

void progress_printer::operator()(const progress_event& e) {
  if (style_ == progress_style::json) {
    nlohmann::json line = {{"video", e.input.string()},
                           {"video_index", e.video},
                           {"stage", e.stage},
                           {"frames_done", e.frames_done},
                           {"frames_total", e.frames_total},
                           {"batch_frames_done", e.batch_frames_done},
                           {"batch_frames_total", e.batch_frames_total},
                           {"fps", std::round(e.fps * 10.0) / 10.0}};
    std::fprintf(stderr, "%s\n", json_text(line).c_str());
    std::fflush(stderr);
    return;
  }
  if (style_ != progress_style::bar)
    return;
  constexpr int width = 30;
  const double total = std::max<double>(1.0, static_cast<double>(e.batch_frames_total));
  const double fraction = std::min(1.0, static_cast<double>(e.batch_frames_done) / total);
  const int filled = static_cast<int>(fraction * width);
  const double eta = e.fps > 0 ? (total - static_cast<double>(e.batch_frames_done)) / e.fps : 0.0;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(width - filled), '.');
  std::fprintf(stderr,
               "\r[%s] %3.0f%%  %lld/%lld frames  %.1f fps  ETA %d:%02d  %s: %s %lld/%lld\x1b[K",
               bar.c_str(), fraction * 100.0, static_cast<long long>(e.batch_frames_done),
               static_cast<long long>(e.batch_frames_total), e.fps, static_cast<int>(eta) / 60,
               static_cast<int>(eta) % 60, e.input.filename().c_str(), e.stage.c_str(),
               static_cast<long long>(e.frames_done), static_cast<long long>(e.frames_total));
  std::fflush(stderr);
  bar_drawn_ = true;
}

void progress_printer::finish() {
  if (bar_drawn_)
    std::fputc('\n', stderr);
  bar_drawn_ = false;
}

}  // namespace facemirror::cli

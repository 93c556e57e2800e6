#include "io/output_clock.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace facemirror::io_detail {
namespace {

// Container rates and time bases have small denominators (1001, 15360, 90000); a bound this
// large still recovers them exactly from a double, and never invents a longer fraction.
constexpr int max_den = 10'000'000;

// The source's time base, if pts[] and timestamps_s agree on one: probe_video() computed
// timestamps_s[i] = (pts[i] - pts[0]) * time_base.
bool recover_source_pts(const video_info& timing, output_clock& clock) {
  const auto& pts = timing.pts;
  const auto& seconds = timing.timestamps_s;
  if (pts.size() != seconds.size() || pts.size() < 2 || pts.back() <= pts.front())
    return false;
  const AVRational tb =
      av_d2q(seconds.back() / static_cast<double>(pts.back() - pts.front()), max_den);
  if (tb.num <= 0 || tb.den <= 0)
    return false;
  clock.time_base = tb;
  clock.pts.resize(pts.size());
  for (size_t i = 0; i < pts.size(); ++i) {
    clock.pts[i] = pts[i] - pts.front();
    const double t = static_cast<double>(clock.pts[i]) * tb.num / tb.den;
    if (std::abs(t - seconds[i]) > 1e-7)
      return false;
  }
  return true;
}

}  // namespace

AVRational rational_rate(double fps) {
  return fps > 0 ? av_d2q(fps, max_den) : AVRational{0, 1};
}

int64_t output_clock::duration_at(int64_t frame_pts) const {
  const auto it = std::lower_bound(pts.begin(), pts.end(), frame_pts);
  return it != pts.end() && *it == frame_pts ? duration[static_cast<size_t>(it - pts.begin())] : 0;
}

output_clock make_output_clock(const video_info& timing) {
  output_clock clock;
  const size_t n = timing.timestamps_s.size();
  clock.frame_rate = rational_rate(timing.average_fps);

  if (timing.constant_frame_rate && clock.frame_rate.num > 0) {
    // probe_video() snapped these timestamps to index/fps: exactly the grid of the rational rate.
    clock.time_base = av_inv_q(clock.frame_rate);
    clock.pts.resize(n);
    std::iota(clock.pts.begin(), clock.pts.end(), int64_t{0});
    clock.duration.assign(n, 1);
    return clock;
  }

  if (!recover_source_pts(timing, clock)) {
    // Fine enough (11 us) that every timestamp survives to the CSV's 3 decimals.
    clock.time_base = {1, 90000};
    clock.pts.resize(n);
    for (size_t i = 0; i < n; ++i)
      clock.pts[i] = std::llround((timing.timestamps_s[i] - timing.timestamps_s[0]) * 90000);
  }
  // Encoders and muxers reject repeated timestamps; a duplicated source PTS moves one tick on.
  for (size_t i = 1; i < n; ++i)
    clock.pts[i] = std::max(clock.pts[i], clock.pts[i - 1] + 1);

  // Each frame lasts until the next; the last as long as the one before it (the probe does not
  // know the source's last duration), a lone frame one nominal frame (25 fps if unknown).
  clock.duration.resize(n);
  for (size_t i = 0; i + 1 < n; ++i)
    clock.duration[i] = clock.pts[i + 1] - clock.pts[i];
  const AVRational nominal = clock.frame_rate.num > 0 ? clock.frame_rate : AVRational{25, 1};
  clock.duration[n - 1] =
      n >= 2 ? clock.duration[n - 2]
             : std::max<int64_t>(1, av_rescale_q(1, av_inv_q(nominal), clock.time_base));
  if (clock.frame_rate.num <= 0)
    clock.frame_rate =
        n >= 2 ? av_d2q(static_cast<double>(n - 1) / (av_q2d(clock.time_base) * clock.pts.back()),
                        max_den)
               : nominal;
  return clock;
}

}  // namespace facemirror::io_detail

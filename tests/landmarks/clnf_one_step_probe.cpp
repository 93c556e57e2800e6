// Diagnostic probe (not a test; built as build/<dir>/tests/landmarks/clnf_one_step_probe): does
// our CLNF step do what OpenFace 2.2's does, frame by frame, apart from the chaos of a whole
// track? Every frame is fitted once from OpenFace's own state of the frame before, as its CSV
// prints it (p_* to 3 decimals), with the windows OpenFace used (tracking after an accepted
// frame, the wide ones after a rejected one), then checked by our validator; it prints how far
// the result lands from OpenFace's landmarks for that frame (ours rounded to 0.1 px as the CSV
// is), whether the validator decides as OpenFace did, and whether our step's yaw runs past
// OpenFace's (binned by |p_ry|: the patch experts and the validator change view at 32.5 degrees);
// and, as a check of the validator alone, how often it gives OpenFace's printed confidence for
// OpenFace's own printed landmarks and rotation.
//
// Where a frame parts from OpenFace (>= 0.15 px, or another decision), DRAWS starts drawn
// uniformly within the print precision (every parameter +-0.0005) say how often a start
// consistent with OpenFace's printed state gives OpenFace's result: a share well above zero
// means the printed state does not decide the frame (a knife edge), zero on a tracked frame
// would mean our step differs from OpenFace's in kind. The probe does not re-detect: where
// OpenFace did (its tracked fit rejected, MTCNN's box giving an accepted fit elsewhere), our step
// is far away, and its decision is what to compare: rejected, it is listed as OpenFace's
// re-detection; accepted, the draws' accepted share says how often a start decides otherwise.
//
// With CHAIN_FROM and CHAIN_TO it follows our own fits instead, from OpenFace's printed state at
// CHAIN_FROM (and DRAWS starts around it) to CHAIN_TO, and prints per frame how many chains are
// near OpenFace (< 0.15 px), accepted, and at OpenFace's printed confidence: how far back a
// branch event is decided.
//
// With "calibrate" it asks the draws' question of every frame (see calibrate()).
//
//   clnf_one_step_probe MODEL_DIR VIDEO REFERENCE_CSV [DRAWS [calibrate | CHAIN_FROM CHAIN_TO]]
//
// MODEL_DIR is OpenFace's model/ folder (e.g. shared/models/openface/model).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "facemirror/io/video_reader.h"

#include "support/clnf_one_step.h"
#include "support/reference_csv.h"

namespace fm = facemirror;

namespace {

constexpr double near_px = 0.15;
constexpr double print_step = 0.001;  // the CSV's p_* precision

using fm::test::clnf_step;
using fm::test::clnf_stepper;
using fm::test::distance_to_printed;

/// Starts consistent with a printed state: each parameter moved uniformly within half a print step.
class print_precision_draws {
 public:
  explicit print_precision_draws(unsigned seed)
      : rng_(seed), offset_(-print_step / 2, print_step / 2) {}
  fm::pdm_params operator()(fm::pdm_params p) {
    for (double* v : {&p.scale, &p.rx, &p.ry, &p.rz, &p.tx, &p.ty})
      *v += offset_(rng_);
    for (double& v : p.local)
      v += offset_(rng_);
    return p;
  }

 private:
  std::mt19937 rng_;
  std::uniform_real_distribution<double> offset_;
};

/// The video's frames in grey, asked for by 1-based number in increasing order; the frames in
/// between are decoded and skipped.
class grey_frames {
 public:
  explicit grey_frames(const char* video) : reader_(fm::probe_video(video)) {}
  /// Frame `frame`, which must come after the last one returned; empty past the end.
  cv::Mat at(int frame) {
    cv::Mat grey;
    while (next_ <= frame) {
      const auto decoded = reader_.read();
      if (!decoded)
        return {};
      if (next_++ == frame)
        cv::cvtColor(decoded->bgr, grey, cv::COLOR_BGR2GRAY);
    }
    return grey;
  }

 private:
  fm::video_reader reader_;
  int next_ = 1;
};

bool accepted_in(const fm::test::reference_csv& ref, int frame) {
  return ref.at(frame - 1, "success") > 0.5;
}

int scan(const clnf_stepper& steps, const char* video, const fm::test::reference_csv& ref,
         int draws) {
  print_precision_draws draw(5);
  std::vector<double> distances;
  constexpr int bins = 5;  // |p_ry| in 0.15 rad bins, the last open-ended
  std::array<double, bins> yaw_sum{}, yaw_sq{};
  std::array<int, bins> yaw_n{};
  int same_decision = 0, rejected_far = 0;
  int printed_checked = 0, printed_same = 0;  // our validator on OpenFace's printed fits
  const int frames_stepped = fm::test::for_each_printed_step(
      video, ref, steps.modes(), [&](const fm::test::printed_step& p) {
        const int f = p.frame;
        const cv::Mat& grey = p.grey;
        const bool before_ok = p.before_accepted, ok = p.accepted;
        if (ref.at(f - 1, "p_scale") > 0) {
          ++printed_checked;
          printed_same +=
              std::fabs(steps.certainty(grey, ref.landmarks(f - 1), ref.rotation(f - 1)) -
                        ref.at(f - 1, "confidence")) < 0.005;
        }
        const fm::pdm_params& start = p.start;
        const fm::landmarks_2d& printed = p.printed;
        const clnf_step r = steps.step(grey, start, before_ok);
        const double d = distance_to_printed(r.fit.landmarks, printed);
        same_decision += r.accepted == ok;
        if (d >= near_px && ok && !r.accepted) {
          // OpenFace accepted a fit where our step is rejected and elsewhere: its re-detection.
          ++rejected_far;
          std::printf("frame %4d: %.3f px, ours rejected / OpenFace accepted (its re-detection)\n",
                      f, d);
          return;
        }
        if (before_ok && ok && d < near_px) {  // the bias of steps that follow OpenFace
          const double ry = ref.at(f - 1, "p_ry");
          const double excess = std::fabs(r.fit.params.ry) - std::fabs(ry);
          const int bin = std::min(bins - 1, static_cast<int>(std::fabs(ry) / 0.15));
          yaw_sum[bin] += excess, yaw_sq[bin] += excess * excess, ++yaw_n[bin];
        }
        distances.push_back(d);
        if (d < near_px && r.accepted == ok)
          return;
        int near = 0, accepted = 0, as_openface = 0;
        for (int t = 0; t < draws; ++t) {
          const clnf_step o = steps.step(grey, draw(start), before_ok);
          const bool is_near = distance_to_printed(o.fit.landmarks, printed) < near_px;
          near += is_near, accepted += o.accepted, as_openface += is_near && o.accepted == ok;
        }
        std::printf(
            "frame %4d: %.3f px, ours %s / OpenFace %s; of %d print-consistent starts %d "
            "near, %d accepted, %d both near and decided as OpenFace\n",
            f, d, r.accepted ? "accepted" : "rejected", ok ? "accepted" : "rejected", draws, near,
            accepted, as_openface);
      });
  for (int b = 0; b < bins; ++b) {
    if (yaw_n[b] == 0)
      continue;
    const double mean = yaw_sum[b] / yaw_n[b];
    const double sd = std::sqrt(std::max(0.0, yaw_sq[b] / yaw_n[b] - mean * mean));
    if (b == bins - 1)
      std::printf("|p_ry| >= %.2f", b * 0.15);
    else
      std::printf("|p_ry| %.2f-%.2f", b * 0.15, (b + 1) * 0.15);
    std::printf(": %d frames, our |ry| - OpenFace's: mean %+.1e sd %.1e rad\n", yaw_n[b], mean, sd);
  }
  std::printf("our validator on OpenFace's printed fits: its printed confidence on %d of %d\n",
              printed_same, printed_checked);
  if (distances.empty())
    return 1;
  std::sort(distances.begin(), distances.end());
  const auto quantile = [&](double q) {
    return distances[std::min(distances.size() - 1, static_cast<size_t>(q * distances.size()))];
  };
  std::printf(
      "SUMMARY %d frames stepped, %d of them OpenFace's re-detections; px median %.3f "
      "p95 %.3f p99 %.3f max %.3f, %ld >= %.2f px; same decision on %d\n",
      frames_stepped, rejected_far, quantile(0.5), quantile(0.95), quantile(0.99), distances.back(),
      static_cast<long>(
          std::count_if(distances.begin(), distances.end(), [](double x) { return x >= near_px; })),
      near_px, same_decision);
  return 0;
}

int chain(const clnf_stepper& steps, grey_frames frames, const fm::test::reference_csv& ref,
          int draws, int from, int to) {
  print_precision_draws draw(5);
  const int span = to - from;
  std::vector<cv::Mat> greys;  // frames from + 1 .. to
  for (int f = from + 1; f <= to; ++f) {
    greys.push_back(frames.at(f));
    if (greys.back().empty()) {
      std::fprintf(stderr, "the video ends before frame %d\n", f);
      return 1;
    }
  }
  std::vector<int> near(span), accepted(span), same_confidence(span);
  for (int t = 0; t <= draws; ++t) {  // t = 0: the printed state itself
    const fm::pdm_params printed = ref.params(from - 1, steps.modes());
    fm::pdm_params state = t == 0 ? printed : draw(printed);
    bool before_ok = accepted_in(ref, from);
    for (int f = from + 1; f <= to; ++f) {
      const int i = f - from - 1;
      const clnf_step r = steps.step(greys[i], state, before_ok);
      near[i] += distance_to_printed(r.fit.landmarks, ref.landmarks(f - 1)) < near_px;
      accepted[i] += r.accepted;
      same_confidence[i] += std::fabs(r.certainty - ref.at(f - 1, "confidence")) < 0.005;
      before_ok = r.accepted;
      state = r.fit.params;
    }
  }
  for (int f = from + 1; f <= to; ++f) {
    const int i = f - from - 1;
    std::printf(
        "frame %4d: of %d chains %d near OpenFace, %d accepted, %d at its confidence %.2f\n", f,
        draws + 1, near[i], accepted[i], same_confidence[i], ref.at(f - 1, "confidence"));
  }
  return 0;
}

/// The scan's question asked of every frame, so that frames are not picked by where we part
/// from OpenFace: each frame's share of print-consistent starts (the printed state and DRAWS
/// around it) whose step gives OpenFace's outcome (near its landmarks and its decision; where no
/// start comes near, OpenFace re-detected, and its outcome is our step rejected). A frame with a
/// share strictly between 0 and 1 is a branch. Were our step OpenFace's, and OpenFace's exact state
/// anywhere within its printed box, OpenFace's outcome at a branch whose two sides have shares q
/// and 1 - q would be the q side with chance q: the expected share at branches is q^2 + (1 - q)^2,
/// at least 0.5. Under 0.5 on average would mean our step makes OpenFace's choices less often than
/// its own.
int calibrate(const clnf_stepper& steps, const char* video, const fm::test::reference_csv& ref,
              int draws) {
  print_precision_draws draw(5);
  int always = 0, never = 0, branches = 0;
  double branch_share_sum = 0;
  const int stepped = fm::test::for_each_printed_step(
      video, ref, steps.modes(), [&](const fm::test::printed_step& p) {
        const int f = p.frame;
        const bool ok = p.accepted;
        int near = 0, as_openface = 0, rejected = 0;
        for (int t = 0; t <= draws; ++t) {  // t = 0: the printed state itself
          const clnf_step r =
              steps.step(p.grey, t == 0 ? p.start : draw(p.start), p.before_accepted);
          const bool is_near = distance_to_printed(r.fit.landmarks, p.printed) < near_px;
          near += is_near, as_openface += is_near && r.accepted == ok, rejected += !r.accepted;
        }
        const int hits = near > 0 ? as_openface : (ok ? rejected : 0);
        if (hits == draws + 1) {
          ++always;
          return;
        }
        if (hits == 0) {
          ++never;
          std::printf("frame %4d: no start gives OpenFace's outcome (%s)\n", f,
                      ok ? "accepted" : "rejected");
          return;
        }
        const double share = static_cast<double>(hits) / (draws + 1);
        ++branches, branch_share_sum += share;
        std::printf("frame %4d: branch, OpenFace's outcome from %d of %d starts (%.2f)\n", f, hits,
                    draws + 1, share);
      });
  std::printf(
      "CALIBRATION %d frames: OpenFace's outcome from every start %d, from none %d, "
      "branches %d with mean share %.3f (>= 0.5 for the same step)\n",
      stepped, always, never, branches, branches ? branch_share_sum / branches : 0.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: %s MODEL_DIR VIDEO REFERENCE_CSV [DRAWS [calibrate | CHAIN_FROM "
                 "CHAIN_TO]]\n",
                 argv[0]);
    return 2;
  }
  const int draws = argc > 4 ? std::atoi(argv[4]) : 100;
  const clnf_stepper steps(argv[1]);
  const fm::test::reference_csv ref(argv[3]);
  if (argc == 6 && std::string(argv[5]) == "calibrate")
    return calibrate(steps, argv[2], ref, draws);
  if (argc > 6) {
    const int from = std::atoi(argv[5]), to = std::atoi(argv[6]);
    if (from < 1 || to <= from || to > static_cast<int>(ref.rows())) {
      std::fprintf(stderr, "CHAIN_FROM must be >= 1 and below CHAIN_TO, within the CSV\n");
      return 2;
    }
    return chain(steps, grey_frames(argv[2]), ref, draws, from, to);
  }
  return scan(steps, argv[2], ref, draws);
}

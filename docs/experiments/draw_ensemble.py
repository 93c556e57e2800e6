#!/usr/bin/env python3
"""Fidelity over draws of a build's rounding, per video (docs/fidelity_notes.md, session 22).

A build that carries perturbation_nudge.patch (or variant_switches.patch, which includes it)
is run on the fifteen shared and mirrored videos once per draw: every tracked start moved by k
float ulps (FACEMIRROR_NUDGE_ULPS=k), or with --pixels by a fixed offset of d px
(FACEMIRROR_NUDGE=d: tx + d, ty - d; the draws of sessions 19 and 20, which a float fit rounds
away). Each draw's per-video figures (mean r, lowest AU r, landmark distance, AU_r MAE, the bar's
verdict from bench/fidelity.py) are kept as OUT/k<k>.json (OUT/px<d>.json), so that an
interrupted run resumes and several builds or switches can be compared draw for draw.

  draw_ensemble.py run OUT [--cli CLI] [--env NAME=VALUE ...] [--pixels] [--draws 0,1,-1,...]
  draw_ensemble.py summary OUT_A OUT_B ...
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import fidelity  # noqa: E402  (the bar and the video set are bench/fidelity.py's)

DEFAULT_ULP_DRAWS = "0,1,-1,2,-2,3,-3,4,-4,6,-6,8,-8,12,-12,16,-16"
DEFAULT_PIXEL_DRAWS = "0,1e-6,-1e-6,3e-6,-3e-6,1e-5,-1e-5,1e-4,-1e-4"


def run(args):
    shared = Path(args.shared)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    extra_env = dict(kv.split("=", 1) for kv in args.env)
    videos = fidelity.SETS["all"]
    if args.pixels:
        variable, prefix, draws = "FACEMIRROR_NUDGE", "px", args.draws or DEFAULT_PIXEL_DRAWS
    else:
        variable, prefix, draws = "FACEMIRROR_NUDGE_ULPS", "k", args.draws or DEFAULT_ULP_DRAWS
    for k in draws.split(","):
        if not args.pixels:
            k = str(int(k))
        result_path = out / f"{prefix}{k}.json"
        if result_path.exists():
            continue
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, **extra_env, **{variable: k})
            subprocess.run(fidelity.aus_command(args.cli, shared, videos, tmp), env=env, check=False)
            result = {}
            for video, ref_name in videos:
                stem = Path(video).stem
                ref = shared / "reference/openface22" / f"{ref_name}.csv"
                cand = Path(tmp) / f"{stem}.csv"
                if not cand.exists():
                    result[stem] = dict(miss=True, why=["no CSV written"])
                    continue
                report = fidelity.au_report(shared, ref, cand, tmp)
                lowest = fidelity.lowest_varying_au(report)
                why = fidelity.misses(report, fidelity.success_agreement(ref, cand), fidelity.bar_for(stem))
                result[stem] = dict(mean_r=report["mean_r"], min_r=lowest[1] if lowest else None,
                                    px=report.get("landmark_mean_px"), mae=report["mean_mae"],
                                    miss=bool(why), why=why)
        json.dump(result, open(result_path, "w"), indent=1)
        print(f"{variable}={k}: {sum(v['miss'] for v in result.values())} videos below the bar", flush=True)


def summary(args):
    builds = {}
    for folder in args.outs:
        builds[folder] = {p.stem: json.load(open(p)) for pattern in ("k*.json", "px*.json")
                          for p in sorted(Path(folder).glob(pattern))}
    draws = sorted(set.intersection(*(set(d) for d in builds.values())))
    if not draws:
        sys.exit("no draw common to every folder")
    print(f"{len(draws)} draws common to every folder\n")
    print("| build | videos below the bar per draw: mean | range |")
    print("|---|---|---|")
    for folder, runs in builds.items():
        counts = [sum(v["miss"] for v in runs[k].values()) for k in draws]
        print(f"| {folder} | {statistics.mean(counts):.2f} | {min(counts)}-{max(counts)} |")
    print("\nPer video: misses / mean r / lowest AU r / landmarks px, averaged over the draws\n")
    print("| video | " + " | ".join(builds) + " |")
    print("|---|" + "---|" * len(builds))
    for video in next(iter(builds.values()))[draws[0]]:
        cells = []
        for runs in builds.values():
            rows = [runs[k][video] for k in draws]
            if any(r.get(key) is None for r in rows for key in ("mean_r", "min_r", "px")):
                cells.append(f"{sum(r['miss'] for r in rows)} / a figure missing in some draws")
                continue
            cells.append(f"{sum(r['miss'] for r in rows)} / {statistics.mean(r['mean_r'] for r in rows):.4f} / "
                         f"{statistics.mean(r['min_r'] for r in rows):.3f} / "
                         f"{statistics.mean(r['px'] for r in rows):.3f}")
        print(f"| {video} | " + " | ".join(cells) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run the draws of one build (resumes where OUT has them)")
    r.add_argument("out")
    r.add_argument("--cli", default=str(ROOT / "build/release/tools/facemirror/facemirror"))
    r.add_argument("--shared", default=os.environ.get("FACEMIRROR_SHARED_DIR", str(ROOT.parent / "shared")))
    r.add_argument("--env", action="append", default=[], help="NAME=VALUE set for every draw (a switch)")
    r.add_argument("--pixels", action="store_true", help="draw by pixel offsets, not float ulps")
    r.add_argument("--draws", help=f"offsets, comma-separated: float ulps k (default {DEFAULT_ULP_DRAWS}) "
                   f"or with --pixels px (default {DEFAULT_PIXEL_DRAWS})")
    s = sub.add_parser("summary", help="compare folders of draws")
    s.add_argument("outs", nargs="+")
    args = ap.parse_args()
    run(args) if args.command == "run" else summary(args)


if __name__ == "__main__":
    main()

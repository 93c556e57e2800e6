#!/usr/bin/env python3
"""Single-core speed per shared video, next to OpenFace 2.2's single-core figures.

Runs `facemirror aus VIDEO --workers 1` pinned to one core (taskset) per video: landmarks and
pose only (--no-aus: decode + detection + CLNF tracking + PDM) and the full AU job, each the
fastest of --rounds runs. Prints frames per second after start-up (model loading, printed by the
CLI, is subtracted) and, from shared/reference/openface22/timings.tsv, OpenFace 2.2
FeatureExtraction on one core (which includes its start-up and its AU, gaze and pose work).

OpenFace cannot run here, so its figures come from another machine. As a check on how far
apart the two machines are, the script also times what both ran: a one-thread ffmpeg decode of
each video (`ffmpeg -threads 1 -i VIDEO -f null -` pinned to the same core, less the same
command stopped after one frame, i.e. ffmpeg's start-up, 0.13-0.2 s here; timings.tsv's ff1_fps
there, whose short and long videos decode at the same rate per frame, so it holds no start-up),
and prints this machine's decode speed over that one's for the six videos together. It is a
hint, not a correction: programs gain differently from a machine (facemirror's `aus` took 9.7-11
ms of CPU per frame on a machine whose decode ran at 0.85-0.97 of OpenFace's machine's, and 7.0
ms on an AVX-512 machine of timings_avx512.tsv's kind), so compare per-core speed on one kind of
machine where you can.

  bench/single_core.py [--cli build/release/tools/facemirror/facemirror] [--rounds N] [--extra ...]
"""
import argparse
import csv
import os
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIDEOS = ["openface-samples/default.wmv", "openface-samples/changeLighting.wmv",
          "openface-samples/2015-10-15-15-14.avi", "openface-samples/multi_face.avi",
          "open_dbm/subj01_timepoint01.mp4", "open_dbm/subj02_timepoint01.mp4"]


def timed(cmd):
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    load = 0.0
    for line in proc.stderr.splitlines():
        if "models loaded in" in line:
            load = float(line.split("models loaded in")[1].split()[0])
    return wall, load


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", default=str(ROOT / "build/release/tools/facemirror/facemirror"))
    ap.add_argument("--shared", default=os.environ.get("FACEMIRROR_SHARED_DIR", ROOT.parent / "shared"))
    ap.add_argument("--extra", default="")
    ap.add_argument("--rounds", type=int, default=2, help="runs per measurement; the fastest counts")
    args = ap.parse_args()
    shared = Path(args.shared)
    timings = {r["stem"]: r for r in csv.DictReader(
        open(shared / "reference/openface22/timings.tsv"), delimiter="\t")}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for v in VIDEOS:
            stem = Path(v).stem
            video = str(shared / "videos" / v)
            frames = int(timings[stem]["frames"])
            best = {}
            for _ in range(max(1, args.rounds)):  # interleaved, so a drift hits all three alike
                for name, flags in (("landmarks", ["--no-aus"]), ("full", [])):
                    cmd = ["taskset", "-c", "0", args.cli, "aus", video, "-o", tmp,
                           "--workers", "1", "--models", str(shared / "models/openface"),
                           "--progress", "none", *flags, *args.extra.split()]
                    Path(tmp, stem + ".csv").unlink(missing_ok=True)  # aus skips present CSVs
                    wall, load = timed(cmd)
                    best[name] = max(best.get(name, 0.0), frames / (wall - load))
                decode = ["taskset", "-c", "0", "ffmpeg", "-v", "error", "-threads", "1", "-i", video]
                whole, _ = timed(decode + ["-f", "null", "-"])
                start_up, _ = timed(decode + ["-frames:v", "1", "-f", "null", "-"])
                best["decode_s"] = min(best.get("decode_s", whole), whole)
                best["start_up_s"] = min(best.get("start_up_s", start_up), start_up)
            rows.append((stem, frames, best))
    decode_here = sum(best["decode_s"] - best["start_up_s"] for _, _, best in rows)
    decode_there = sum(frames / float(timings[stem]["ff1_fps"]) for stem, frames, _ in rows)
    machine = decode_there / decode_here
    print("| video | frames | facemirror landmarks+pose fps | facemirror full AU fps | "
          "OpenFace 2.2 fps (1 core, its machine) | full AU / OpenFace |")
    print("|---|---|---|---|---|---|")
    ratios = []
    for stem, frames, best in rows:
        openface = float(timings[stem]["fps_1core"])
        ratios.append(best["full"] / openface)
        print(f"| {stem} | {frames} | {best['landmarks']:.1f} | {best['full']:.1f} | "
              f"{openface:.1f} | {ratios[-1]:.1f}x |")
    print(f"\nfull AU job against OpenFace's one-core figures: {min(ratios):.1f}-{max(ratios):.1f}x")
    print(f"this machine's one-thread ffmpeg decode speed over OpenFace's machine's: {machine:.2f}")


if __name__ == "__main__":
    main()

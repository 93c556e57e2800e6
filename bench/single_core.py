#!/usr/bin/env python3
"""Single-core speed per shared video, next to OpenFace 2.2's single-core figures.

Runs `facemirror aus VIDEO --workers 1` pinned to one core (taskset) twice per video: landmarks
and pose only (--no-aus: decode + detection + CLNF tracking + PDM) and the full AU job. Prints
frames per second after start-up (model loading, printed by the CLI, is subtracted) and, from
shared/reference/openface22/timings.tsv, OpenFace 2.2 FeatureExtraction on one core (which
includes its start-up and its AU, gaze and pose work).

  bench/single_core.py [--cli build/release/tools/facemirror/facemirror] [--extra ...]
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
    args = ap.parse_args()
    shared = Path(args.shared)
    timings = {r["stem"]: r for r in csv.DictReader(
        open(shared / "reference/openface22/timings.tsv"), delimiter="\t")}
    print("| video | frames | facemirror landmarks+pose fps | facemirror full AU fps | "
          "OpenFace 2.2 fps (1 core) |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for v in VIDEOS:
            stem = Path(v).stem
            frames = int(timings[stem]["frames"])
            row = []
            for flags in (["--no-aus"], []):
                cmd = ["taskset", "-c", "0", args.cli, "aus", str(shared / "videos" / v), "-o", tmp,
                       "--workers", "1", "--models", str(shared / "models/openface"),
                       "--progress", "none", *flags, *args.extra.split()]
                Path(tmp, stem + ".csv").unlink(missing_ok=True)  # aus skips present CSVs
                wall, load = timed(cmd)
                row.append(frames / (wall - load))
            print(f"| {stem} | {frames} | {row[0]:.1f} | {row[1]:.1f} | "
                  f"{float(timings[stem]['fps_1core']):.1f} |", flush=True)


if __name__ == "__main__":
    main()

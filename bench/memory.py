#!/usr/bin/env python3
"""Peak memory of `facemirror aus` against video length: it must not grow with the video.

Makes loops of a shared clip (default.wmv, 640x480, 15 fps) lasting the given minutes with
ffmpeg (stream copy, into a temporary folder, never committed), runs the CLI on each with the
given workers and prints frames, wall time, fps and peak RSS.

  bench/memory.py [--cli ...] [--minutes 1,10,60] [--workers 2] [--extra "--landmarks dlib"]
"""
import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", default=str(ROOT / "build/release/tools/facemirror/facemirror"))
    ap.add_argument("--shared", default=os.environ.get("FACEMIRROR_SHARED_DIR", ROOT.parent / "shared"))
    ap.add_argument("--minutes", default="1,10,60")
    ap.add_argument("--workers", default="2")
    ap.add_argument("--extra", default="")
    args = ap.parse_args()
    shared = Path(args.shared)
    clip = shared / "videos/openface-samples/default.wmv"  # 19.2 s
    print("| length | frames | workers | wall s | fps | peak RSS MiB |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in [float(m) for m in args.minutes.split(",")]:
            loops = max(1, round(minutes * 60 / 19.2))
            video = Path(tmp) / f"loop_{minutes:g}min.mp4"
            subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-stream_loop", str(loops - 1),
                            "-i", str(clip), "-c:v", "libx264", "-preset", "ultrafast",
                            "-crf", "18", str(video)], check=True)
            for workers in args.workers.split(","):
                cmd = [args.cli, "aus", str(video), "-o", str(Path(tmp) / "out"), "--workers",
                       workers, "--models", str(shared / "models/openface"), "-q",
                       *args.extra.split()]
                shutil.rmtree(Path(tmp) / "out", ignore_errors=True)  # aus skips present CSVs
                start = time.perf_counter()
                proc = subprocess.Popen(cmd)
                _, status, usage = os.wait4(proc.pid, 0)
                wall = time.perf_counter() - start
                if status != 0:
                    raise SystemExit(f"facemirror failed: {cmd}")
                frames = sum(1 for _ in open(Path(tmp) / "out" / f"{video.stem}.csv")) - 1
                print(f"| {minutes:g} min | {frames} | {workers} | {wall:.1f} | {frames / wall:.1f} | "
                      f"{usage.ru_maxrss / 1024:.0f} |", flush=True)
            video.unlink()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Throughput of `facemirror aus` against worker count, side by side in one run.

Runs the same inputs with --workers 1..N and prints a Markdown table: wall time, frames per
second, speed-up and parallel efficiency against workers=1, and the peak RSS of the process.
Next to it, OpenFace 2.2's FeatureExtraction figures for the same videos from
shared/reference/openface22/timings.tsv (measured on a 2-core machine like ours; compare the
ratios, since absolute times drift between runs and machines).

  bench/bench_workers.py --cli build/release/tools/facemirror/facemirror [--workers 1,2]
                         [--set shared|hd|all] [--repeat 1]
  bench/bench_workers.py --baseline OTHER_CLI --rounds 4 [--command aus,mirror] [--workers 2]

With --baseline, each worker count is run in rounds that alternate this CLI and the baseline
(this machine's timings drift between runs, so interleaving is what makes the ratio fair), and
the table gives every round's fps, CPU seconds and peak RSS for both, the fps ratio, and the
means (the largest RSS);
`--command aus,mirror` runs both jobs in the one invocation, and OpenFace's reference-table
row follows, then this CLI's means against OpenFace 2.2 at its best on this machine kind
(shared/reference/openface22/timings_avx512.tsv, one process after another, and for the six
shared videos two processes at once): wall and CPU ratios, CPU milliseconds per frame, peak RSS
(OpenFace's: its largest video's, or at most its two largest together for two processes).

Input sets: `shared` = the six shared videos; `hd` = a 1080p and a 4K upscaled copy of a
1080x720 clip, made with ffmpeg into a temporary folder (never committed).
"""
import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# OpenFace 2.2 at its best on this machine kind: the six shared videos as two FeatureExtraction
# processes at once (xargs -P2), wall and CPU seconds, medians of three alternating runs
# (shared/reference/openface22/README.md, "Speed on an AVX-512 machine of the same kind").
OPENFACE_TWO_PROCESSES_SIX_VIDEOS = (38.0, 75.0)
SHARED_VIDEOS = [
    "openface-samples/default.wmv", "openface-samples/changeLighting.wmv",
    "openface-samples/2015-10-15-15-14.avi", "openface-samples/multi_face.avi",
    "open_dbm/subj01_timepoint01.mp4", "open_dbm/subj02_timepoint01.mp4",
]


def run_cli(cli, command, inputs, out, workers, models, extra):
    # aus skips videos whose CSV is present (resume): every run starts from an empty folder.
    shutil.rmtree(out, ignore_errors=True)
    cmd = [cli, command, *map(str, inputs), "-o", str(out), "--workers", str(workers),
           "--progress", "none", *extra]
    if models:
        cmd += ["--models", str(models)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, not all children's
    wall = time.perf_counter() - start
    err = proc.stderr.read()
    if status != 0:
        sys.exit(f"facemirror failed (status {status}):\n{err}")
    load = 0.0
    for line in err.splitlines():
        if "models loaded in" in line:
            load = float(line.split("models loaded in")[1].split()[0])
    return wall, load, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime


def compare(args, commands, sets, workers, models, tmp):
    """Rounds alternating this CLI and the baseline; fps, CPU seconds and ratios per round."""
    print(f"machine: {os.cpu_count()} cores; this: {args.cli}; "
          f"baseline: {args.baseline} {args.extra}".rstrip())
    print()
    means = []  # (command, inputs, workers, frames, mean wall s, mean CPU s, peak RSS MiB)
    print("| job | inputs | workers | round | fps | baseline fps | ratio | CPU s | baseline CPU s "
          "| peak RSS MiB | baseline peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for command in commands:
        extra = args.extra.split() + (["--force"] if command == "mirror" else [])
        for label, inputs, _ in sets:
            frames = count_frames(inputs)
            for w in workers:
                rows = []
                for r in range(args.rounds):
                    pair = []
                    for cli in (args.cli, args.baseline):
                        wall, _, rss, cpu = run_cli(cli, command, inputs, tmp / f"cmp-{w}", w,
                                                    models, extra)
                        pair += [frames / wall, cpu, rss]
                    rows.append(pair)
                    fps, cpu, rss, base_fps, base_cpu, base_rss = pair
                    print(f"| {command} | {label} | {w} | {r + 1} | {fps:.1f} | {base_fps:.1f} | "
                          f"{fps / base_fps:.2f}x | {cpu:.1f} | {base_cpu:.1f} | {rss:.0f} | "
                          f"{base_rss:.0f} |", flush=True)
                mean = [sum(col) / len(rows) for col in zip(*rows)]
                peak, base_peak = max(r[2] for r in rows), max(r[5] for r in rows)
                print(f"| {command} | {label} | {w} | mean (RSS: max) | {mean[0]:.1f} | "
                      f"{mean[3]:.1f} | {mean[0] / mean[3]:.2f}x | {mean[1]:.1f} | {mean[4]:.1f} | "
                      f"{peak:.0f} | {base_peak:.0f} |", flush=True)
                means.append((command, label, w, frames, frames / mean[0], mean[1], peak))
    for label, _, names in sets:
        of2, of1 = openface_fps(Path(args.shared), names) if names else (None, None)
        if of2:
            print(f"| OpenFace 2.2 FeatureExtraction (reference table) | {label} | 1 process | | "
                  f"{of2:.1f} (1 core: {of1:.1f}) | | | | | | |")
    print_against_openface_at_its_best(Path(args.shared), sets, means)


def print_against_openface_at_its_best(shared, sets, means):
    """facemirror's mean rounds against OpenFace 2.2 on this machine kind (timings_avx512.tsv:
    one process per video; the six videos' batch as two processes at once, from its README)."""
    table = shared / "reference/openface22/timings_avx512.tsv"
    if not table.exists():
        return
    rows = {r["stem"]: r for r in csv.DictReader(open(table), delimiter="\t")}
    names_of = {label: names for label, _, names in sets}
    print()
    print("| job | inputs | workers | wall s | CPU s | CPU ms/frame | peak RSS MiB | OpenFace "
          "| OpenFace wall s | OpenFace CPU s | OpenFace peak RSS MiB | wall ratio | CPU ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for command, label, w, frames, wall, cpu, rss in means:
        names = names_of.get(label) or []
        stems = [Path(n).stem for n in names]
        if not stems or any(s not in rows for s in stems):
            continue
        one_wall = sum(float(rows[s]["wall_s"]) for s in stems)
        one_cpu = sum(float(rows[s]["user_s"]) + float(rows[s]["sys_s"]) for s in stems)
        # One process per video: its largest (two at once hold two of them).
        one_rss = max(float(rows[s]["rss_mib"]) for s in stems)
        best = [("one process after another", one_wall, one_cpu, f"{one_rss:.0f}")]
        if sorted(names) == sorted(Path(v).name for v in SHARED_VIDEOS):
            two_rss = sum(sorted(float(rows[s]["rss_mib"]) for s in stems)[-2:])
            best.append(("two processes at once", *OPENFACE_TWO_PROCESSES_SIX_VIDEOS,
                         f"<= {two_rss:.0f}"))
        for how, of_wall, of_cpu, of_rss in best:
            print(f"| {command} | {label} | {w} | {wall:.1f} | {cpu:.1f} | "
                  f"{1000 * cpu / frames:.1f} | {rss:.0f} | {how} | {of_wall:.1f} | {of_cpu:.1f} | "
                  f"{of_rss} | {of_wall / wall:.2f}x | {of_cpu / cpu:.2f}x |")


def count_frames(inputs):
    """Frames (container packets) of every input: what each run must process."""
    total = 0
    for video in inputs:
        out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
                              "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0",
                              str(video)], check=True, capture_output=True, text=True).stdout
        total += int(out.strip().split(",")[0])
    return total


def make_hd_inputs(shared, tmp):
    src = shared / "videos/open_dbm/subj01_timepoint01.mp4"
    made = []
    for name, scale in (("upscaled_1080p.mp4", "1920:1080"), ("upscaled_4k.mp4", "3840:2160")):
        out = tmp / name
        subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(src), "-vf",
                        f"scale={scale}", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18",
                        str(out)], check=True)
        made.append(out)
    return made


def openface_fps(shared, names):
    table = shared / "reference/openface22/timings.tsv"
    rows = {r["stem"]: r for r in csv.DictReader(open(table), delimiter="\t")}
    frames = wall = wall_1core = 0.0
    for name in names:
        r = rows.get(Path(name).stem)
        if r is None:
            return None, None
        frames += float(r["frames"])
        wall += float(r["wall_def"])
        wall_1core += float(r["wall_1core"])
    return frames / wall, frames / wall_1core


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", default=str(ROOT / "build/release/tools/facemirror/facemirror"))
    ap.add_argument("--shared", default=os.environ.get("FACEMIRROR_SHARED_DIR", ROOT.parent / "shared"))
    ap.add_argument("--models", default=None, help="default: <shared>/models/openface")
    ap.add_argument("--workers", default=f"1,{os.cpu_count()}")
    ap.add_argument("--set", default="shared", choices=["shared", "hd", "all"])
    ap.add_argument("--repeat", type=int, default=1, help="runs per configuration; best is kept")
    ap.add_argument("--extra", default="", help="extra CLI arguments, e.g. '--no-aus'")
    ap.add_argument("--command", default="aus",
                    help="aus, mirror, or both in one run (with --baseline): aus,mirror")
    ap.add_argument("--baseline", default=None, help="another facemirror CLI to interleave with")
    ap.add_argument("--rounds", type=int, default=3, help="with --baseline: rounds per worker count")
    args = ap.parse_args()
    shared = Path(args.shared)
    models = Path(args.models) if args.models else shared / "models/openface"
    workers = [int(w) for w in args.workers.split(",")]
    commands = args.command.split(",")
    if any(c not in ("aus", "mirror") for c in commands) or (len(commands) > 1 and not args.baseline):
        ap.error("--command: aus or mirror; both (aus,mirror) only with --baseline")

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sets = []
        if args.set in ("shared", "all"):
            sets.append(("shared 6 videos", [shared / "videos" / v for v in SHARED_VIDEOS],
                         [Path(v).name for v in SHARED_VIDEOS]))
        if args.set in ("hd", "all"):
            sets.append(("1080p + 4K upscaled", make_hd_inputs(shared, tmp), []))
        if args.baseline:
            compare(args, commands, sets, workers, models, tmp)
            return
        print(f"machine: {os.cpu_count()} cores; cli: {args.cli} {args.extra}".rstrip())
        print()
        print("| inputs | frames | workers | wall s | fps | speed-up | efficiency | "
              "fps after start-up | speed-up | peak RSS MiB |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for label, inputs, names in sets:
            base = base_run = None
            for w in workers:
                best = None
                for _ in range(args.repeat):
                    out = tmp / f"out-{w}"
                    command = commands[0]  # one job without --baseline
                    wall, load, rss, _ = run_cli(args.cli, command, inputs, out, w, models,
                                              args.extra.split() + (["--force"] if command == "mirror" else []))
                    frames = count_frames(inputs)
                    if best is None or wall < best[0]:
                        best = (wall, load, rss, frames)
                wall, load, rss, frames = best
                fps = frames / wall
                run_fps = frames / max(1e-9, wall - load)  # model loading is serial, once per run
                base = base or fps
                base_run = base_run or run_fps
                print(f"| {label} | {frames} | {w} | {wall:.2f} | {fps:.1f} | {fps / base:.2f}x | "
                      f"{fps / base / w:.0%} | {run_fps:.1f} | {run_fps / base_run:.2f}x | {rss:.0f} |")
            if names:
                of2, of1 = openface_fps(shared, names)
                if of2:
                    print(f"| {label}: OpenFace 2.2 (reference table) | | 1 process | | "
                          f"{of2:.1f} (1 core: {of1:.1f}) | | | | | |")


if __name__ == "__main__":
    main()

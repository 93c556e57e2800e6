#!/usr/bin/env python3
"""Fidelity over draws of a build's rounding, per video (docs/fidelity_notes.md, session 22).

A build that carries perturbation_nudge.patch (or variant_switches.patch, which includes it)
is run on the fifteen shared and mirrored videos once per draw: every tracked start moved by k
float ulps (FACEMIRROR_NUDGE_ULPS=k), or with --pixels by a fixed offset of d px
(FACEMIRROR_NUDGE=d: tx + d, ty - d; the draws of sessions 19 and 20, which a float fit rounds
away). Each draw's per-video figures (mean r, lowest AU r, landmark distance, AU_r MAE, the bar's
verdict from bench/fidelity.py) are kept as OUT/k<k>.json (OUT/px<d>.json), so that an
interrupted run resumes and several builds or switches can be compared draw for draw; with
--keep-csvs the draws' CSVs too (OUT/csv/<draw>/).

`selfbar` asks what the bar asks of a re-implementation that is OpenFace up to rounding: the
kept draws stand in for OpenFace run with different roundings. For every ordered triple of
distinct draws (a, b, c), draw a plays the reference, b OpenFace's other build (its agreement
with a sets the per-video floors as bench/fidelity.py's FLOORS do, rounded as the shared README
prints them) and c the candidate; it counts the videos on which c misses that bar, beside the
build's own misses against OpenFace's reference over the same draws.

`merges` judges what `--consensus N` would write from kept draws (session 28): for every pair
of the kept draws their merge as `--consensus 2` makes it, for every triple as `--consensus 3`
(merged_csv below, the rule of src/pipeline/consensus.cpp), each against OpenFace's reference
with bench/fidelity.py's bar.

  draw_ensemble.py run OUT [--cli CLI] [--env NAME=VALUE ...] [--pixels] [--draws 0,1,-1,...]
                           [--keep-csvs]
  draw_ensemble.py summary OUT_A OUT_B ...
  draw_ensemble.py selfbar OUT [--jobs 2]
  draw_ensemble.py merges OUT [--draws 0,1,-1,2,-2] [--jobs 2]   (needs run --keep-csvs)
"""
import argparse
import collections
import csv
import decimal
import itertools
import json
import multiprocessing
import os
import re
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
DEFAULT_SHARED = os.environ.get("FACEMIRROR_SHARED_DIR", str(ROOT.parent / "shared"))


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
            csv_dir = out / "csv" / f"{prefix}{k}" if args.keep_csvs else Path(tmp)
            csv_dir.mkdir(parents=True, exist_ok=True)
            env = dict(os.environ, **extra_env, **{variable: k})
            subprocess.run(fidelity.aus_command(args.cli, shared, videos, csv_dir), env=env, check=False)
            result = {}
            for video, ref_name in videos:
                stem = Path(video).stem
                ref = shared / "reference/openface22" / f"{ref_name}.csv"
                cand = csv_dir / f"{stem}.csv"
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


def pair_report(task):
    """au_compare.py's report of draw b's CSV against draw a's, with the success agreement."""
    shared, root, a, b, stem = task
    ref, cand = root / a / f"{stem}.csv", root / b / f"{stem}.csv"
    with tempfile.TemporaryDirectory() as tmp:
        report = fidelity.au_report(shared, ref, cand, tmp)
    report["agreement"] = fidelity.success_agreement(ref, cand)
    return f"{a} {b} {stem}", report


def floor_bar(floor):
    """bench/fidelity.py's bar with one draw pair's agreement as the floor, printed as the README does."""
    lowest = fidelity.lowest_varying_au(floor)
    return fidelity.bar_with_floor(round(floor["mean_r"], 4), round(lowest[1], 3) if lowest else 1.0,
                                   round(floor["landmark_mean_px"], 2))


def merged_csv(draws, target):
    """The consensus's merge (src/pipeline/consensus.cpp) of the CSVs `draws`, written to `target`:
    every cell the median of the draws' cells; for an odd count the middle draw's text (equal
    values in draw order), for an even count the exact mean of the two middle draws' cells,
    except the 0/1 columns (success, AU presence), which take the earlier of the two middle."""
    tables = [list(csv.reader(open(d))) for d in draws]
    header = [name.strip() for name in tables[0][0]]
    zero_one = [name == "success" or name.endswith("_c") for name in header]
    n = len(draws)
    rows = [",".join(tables[0][0])]
    for cells in zip(*(t[1:] for t in tables)):
        row = []
        for c in range(len(header)):
            order = sorted(range(n), key=lambda d: float(cells[d][c]))
            if n % 2 == 1:
                row.append(cells[order[n // 2]][c])
            elif zero_one[c]:
                row.append(cells[min(order[n // 2 - 1], order[n // 2])][c])
            else:
                mean = (decimal.Decimal(cells[order[n // 2 - 1]][c].strip()) +
                        decimal.Decimal(cells[order[n // 2]][c].strip())) / 2
                row.append(f" {mean:f}")
        rows.append(",".join(row))
    Path(target).write_text("\n".join(rows) + "\n")


def merge_report(task):
    """bench/fidelity.py's verdict on the merge of some kept draws, per video."""
    shared, root, combo, video, ref_name = task
    stem = Path(video).stem
    ref = shared / "reference/openface22" / f"{ref_name}.csv"
    with tempfile.TemporaryDirectory() as tmp:
        cand = Path(tmp) / f"{stem}.csv"
        merged_csv([root / f"k{k}" / f"{stem}.csv" for k in combo], cand)
        report = fidelity.au_report(shared, ref, cand, tmp)
        why = fidelity.misses(report, fidelity.success_agreement(ref, cand), fidelity.bar_for(stem))
    return combo, stem, report["mean_r"], why


def merges(args):
    shared, root = Path(args.shared), Path(args.out) / "csv"
    draws = [int(k) for k in args.draws.split(",")]
    combos = [(k,) for k in draws] + list(itertools.combinations(draws, 2)) + list(itertools.combinations(draws, 3))
    tasks = [(shared, root, combo, video, ref) for combo in combos for video, ref in fidelity.SETS["all"]]
    with multiprocessing.Pool(args.jobs) as pool:
        results = pool.map(merge_report, tasks, chunksize=4)
    by_combo = collections.defaultdict(list)
    for combo, stem, mean_r, why in results:
        by_combo[combo].append((stem, mean_r, why))
    print("| draws merged | videos below the bar: mean | range | mean of the mean r | misses per video |")
    print("|---|---|---|---|---|")
    for size, label in ((1, "one draw"), (2, "mean of two (`--consensus 2`)"), (3, "median of three (`--consensus 3`)")):
        group = [v for combo, v in by_combo.items() if len(combo) == size]
        counts = [sum(bool(why) for _, _, why in v) for v in group]
        per_video = collections.Counter(stem for v in group for stem, _, why in v if why)
        print(f"| {label} ({len(group)}) | {statistics.mean(counts):.1f} | {min(counts)}-{max(counts)} | "
              f"{statistics.mean(r for v in group for _, r, _ in v):.5f} | "
              + ", ".join(f"{stem} {count}" for stem, count in per_video.most_common()) + " |")


def selfbar(args):
    out = Path(args.out)
    root = out / "csv"
    draws = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if len(draws) < 3:
        sys.exit(f"{root}: needs the CSVs of three draws or more (run --keep-csvs)")
    stems = [Path(v).stem for v, _ in fidelity.SETS["all"]]
    cache_path = out / "selfbar_pairs.json"
    reports = json.load(open(cache_path)) if cache_path.exists() else {}
    tasks = [(Path(args.shared), root, a, b, s) for a, b in itertools.permutations(draws, 2) for s in stems
             if f"{a} {b} {s}" not in reports]
    if tasks:
        with multiprocessing.Pool(args.jobs) as pool:
            reports.update(pool.map(pair_report, tasks, chunksize=8))
        json.dump(reports, open(cache_path, "w"))
    triples = list(itertools.permutations(draws, 3))
    per_triple = []
    missed_sets = []
    missed = collections.Counter()
    reasons = collections.defaultdict(collections.Counter)
    for a, b, c in triples:
        n = 0
        missed_here = set()
        for stem in stems:
            cand = reports[f"{a} {c} {stem}"]
            why = fidelity.misses(cand, cand["agreement"], floor_bar(reports[f"{a} {b} {stem}"]))
            if why:
                n += 1
                missed_here.add(stem)
                missed[stem] += 1
                for w in why:  # "AU05_r r 0.9208 < 0.930" -> "min r"; "mean r ..." -> "mean r"
                    reasons[stem]["min r" if re.match(r"AU\d+_r r ", w) else w.split(" ")[0] +
                                  (" r" if w.startswith("mean") else "")] += 1
        per_triple.append(n)
        missed_sets.append(missed_here)
    own = {d: json.load(open(out / f"{d}.json")) for d in draws if (out / f"{d}.json").exists()}
    print(f"{len(draws)} draws ({', '.join(draws)}), {len(triples)} triples (reference, other build, candidate)\n")
    counts = [sum(v["miss"] for v in r.values()) for r in own.values()]
    sets = {name: {Path(v).stem for v, _ in fidelity.SETS[name]} for name in ("default", "mirrored", "all")}

    def passes(missed_list, name):
        return f"{sum(not (m & sets[name]) for m in missed_list)} of {len(missed_list)}"

    print("| | videos below the bar per draw: mean | range | all of `default` pass | all of `mirrored` | all fifteen |")
    print("|---|---|---|---|---|---|")
    print(f"| a draw against another, floors from a third | {statistics.mean(per_triple):.2f} | "
          f"{min(per_triple)}-{max(per_triple)} | " + " | ".join(passes(missed_sets, s) for s in sets) + " |")
    if counts:
        own_missed = [{s for s, v in r.items() if v["miss"]} for r in own.values()]
        print(f"| this build against OpenFace's reference | {statistics.mean(counts):.2f} | "
              f"{min(counts)}-{max(counts)} | " + " | ".join(passes(own_missed, s) for s in sets) + " |")
    print("\nMean r / landmarks px, medians over the pairs of draws and over the draws; OpenFace against")
    print("itself as bench/fidelity.py's FLOORS (the shared README).\n")
    print("| video | draw against draw | draw against OpenFace | OpenFace against itself | "
          "missed in triples | what missed (share of triples) | missed against OpenFace (draws) |")
    print("|---|---|---|---|---|---|---|")
    for stem in stems:
        pairs = [reports[f"{a} {b} {stem}"] for a, b in itertools.combinations(draws, 2)]
        self_r = statistics.median(r["mean_r"] for r in pairs)
        self_px = statistics.median(r["landmark_mean_px"] for r in pairs)
        vs = [r[stem] for r in own.values() if r[stem].get("mean_r") is not None]
        vs_cell = (f"{statistics.median(v['mean_r'] for v in vs):.4f} / "
                   f"{statistics.median(v['px'] for v in vs):.3f}") if vs else "-"
        floor = fidelity.FLOORS.get(stem)
        floor_cell = f"{floor[0]:.4f} / {floor[2]:.2f}" if floor else "-"
        what = ", ".join(f"{k} {v / len(triples):.0%}" for k, v in reasons[stem].most_common())
        against = sum(r[stem]["miss"] for r in own.values())
        print(f"| {stem} | {self_r:.4f} / {self_px:.3f} | {vs_cell} | {floor_cell} | "
              f"{missed[stem] / len(triples):.0%} | {what or '-'} | {against} of {len(own)} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run the draws of one build (resumes where OUT has them)")
    r.add_argument("out")
    r.add_argument("--cli", default=str(ROOT / "build/release/tools/facemirror/facemirror"))
    r.add_argument("--shared", default=DEFAULT_SHARED)
    r.add_argument("--env", action="append", default=[], help="NAME=VALUE set for every draw (a switch)")
    r.add_argument("--pixels", action="store_true", help="draw by pixel offsets, not float ulps")
    r.add_argument("--keep-csvs", action="store_true", help="keep every draw's CSVs in OUT/csv/<draw>/")
    r.add_argument("--draws", help=f"offsets, comma-separated: float ulps k (default {DEFAULT_ULP_DRAWS}) "
                   f"or with --pixels px (default {DEFAULT_PIXEL_DRAWS})")
    s = sub.add_parser("summary", help="compare folders of draws")
    s.add_argument("outs", nargs="+")
    b = sub.add_parser("selfbar", help="the bar met by draws of one build against each other")
    b.add_argument("out")
    b.add_argument("--shared", default=DEFAULT_SHARED)
    b.add_argument("--jobs", type=int, default=2, help="au_compare.py processes at once")
    m = sub.add_parser("merges", help="pairs and triples of kept draws merged as --consensus 2 and 3")
    m.add_argument("out")
    m.add_argument("--shared", default=DEFAULT_SHARED)
    m.add_argument("--draws", default="0,1,-1,2,-2", help="kept draws k, comma-separated")
    m.add_argument("--jobs", type=int, default=2, help="au_compare.py processes at once")
    args = ap.parse_args()
    {"run": run, "summary": summary, "selfbar": selfbar, "merges": merges}[args.command](args)


if __name__ == "__main__":
    main()

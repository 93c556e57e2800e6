#!/usr/bin/env python3
"""AU and landmark fidelity of `facemirror aus` against OpenFace 2.2's reference CSVs.

Runs the CLI on the six shared videos (dynamic models, then --au-static) and prints a Markdown
table from shared/tools/au_compare.py: mean and minimum per-AU Pearson r, AU_r mean absolute
difference, AU_c agreement, mean 2-D landmark distance, and frames with a face.

  bench/fidelity.py [--cli build/release/tools/facemirror/facemirror] [--extra "--workers 2"]
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIDEOS = ["openface-samples/default.wmv", "openface-samples/changeLighting.wmv",
          "openface-samples/2015-10-15-15-14.avi", "openface-samples/multi_face.avi",
          "open_dbm/subj01_timepoint01.mp4", "open_dbm/subj02_timepoint01.mp4"]


def read_rows(path):
    """Header and rows keyed by frame number of an OpenFace-layout CSV."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f, skipinitialspace=True))
    head = [h.strip() for h in rows[0]]
    return head, {r[0].strip(): r for r in rows[1:] if r}


def presence_agreement(ref_csv, cand_csv):
    read = read_rows
    rh, ref = read(ref_csv)
    ch, cand = read(cand_csv)
    cols = [h for h in rh if h.startswith("AU") and h.endswith("_c") and h in ch]
    agree = total = 0
    for frame, row in ref.items():
        other = cand.get(frame)
        if other is None or row[rh.index("success")].strip() != "1":
            continue
        for c in cols:
            total += 1
            agree += float(row[rh.index(c)]) == float(other[ch.index(c)])
    return agree / total if total else float("nan")


def pose_difference(ref_csv, cand_csv):
    """Mean |difference| of pose_T* (mm) and pose_R* (rad) over frames where both succeed."""
    read = read_rows
    rh, ref = read(ref_csv)
    ch, cand = read(cand_csv)
    if "pose_Tx" not in rh or "pose_Tx" not in ch:
        return None, None
    t = r_ = n = 0
    for frame, row in ref.items():
        other = cand.get(frame)
        if other is None or row[rh.index("success")].strip() != "1" or \
                other[ch.index("success")].strip() != "1":
            continue
        n += 1
        t += sum(abs(float(row[rh.index(c)]) - float(other[ch.index(c)]))
                 for c in ("pose_Tx", "pose_Ty", "pose_Tz")) / 3
        r_ += sum(abs(float(row[rh.index(c)]) - float(other[ch.index(c)]))
                  for c in ("pose_Rx", "pose_Ry", "pose_Rz")) / 3
    return (t / n, r_ / n) if n else (None, None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", default=str(ROOT / "build/release/tools/facemirror/facemirror"))
    ap.add_argument("--shared", default=os.environ.get("FACEMIRROR_SHARED_DIR", ROOT.parent / "shared"))
    ap.add_argument("--extra", default="")
    ap.add_argument("--models", choices=["dynamic", "static", "both"], default="both",
                    help="which AU model set(s) to run")
    args = ap.parse_args()
    shared = Path(args.shared)
    compare = shared / "tools/au_compare.py"
    with tempfile.TemporaryDirectory() as tmp:
        for label, flags, refdir in (("dynamic", [], ""), ("static", ["--au-static"], "au_static/")):
            if args.models not in (label, "both"):
                continue
            out = Path(tmp) / label
            cmd = [args.cli, "aus", *[str(shared / "videos" / v) for v in VIDEOS], "-o", str(out),
                   "--models", str(shared / "models/openface"), "--progress", "none", "-q",
                   *flags, *args.extra.split()]
            subprocess.run(cmd, check=True)
            print(f"\n{label} AU models ({' '.join(flags) or 'default'})\n")
            print("| video | mean r | min r (AU) | AU_r MAE | AU_c agreement | landmarks px | "
                  "pose T mm / R rad | success |")
            print("|---|---|---|---|---|---|---|---|")
            for v in VIDEOS:
                stem = Path(v).stem
                ref = shared / "reference/openface22" / f"{refdir}{stem}.csv"
                cand = out / f"{stem}.csv"
                js = Path(tmp) / "r.json"
                subprocess.run([sys.executable, str(compare), str(ref), str(cand), "--json", str(js)],
                               check=True, stdout=subprocess.DEVNULL)
                rep = json.load(open(js))
                aus = {k: v for k, v in rep["aus"].items() if v["r"] is not None and v["ref_std"] >= 0.05}
                worst = min(aus, key=lambda k: aus[k]["r"])
                lm = rep.get("landmark_mean_px")
                lm_text = f"{lm:.2f}" if lm is not None else "n/a"
                pt, pr = pose_difference(ref, cand)
                pose_text = f"{pt:.2f} / {pr:.4f}" if pt is not None else "n/a"
                print(f"| {stem} | {rep['mean_r']:.4f} | {aus[worst]['r']:.3f} ({worst[:4]}) | "
                      f"{rep['mean_mae']:.4f} | {presence_agreement(ref, cand):.2%} | {lm_text} | "
                      f"{pose_text} | {rep['cand_success']}/{rep['candidate_rows']} |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The report as a browser shows it: a mirror job on a short shared clip writes its report, and
headless Chromium (driven over the DevTools protocol on a pipe) opens the file and checks the DOM
(a chart per AU, the summary table, the stills, the index's overview), that no request leaves
the file, that the screenshot is not blank and that the page prints. Exit 77 (skipped) without
the shared data.

usage: browser_report_test.py --cli FACEMIRROR --shared DIR --scratch DIR [--screenshot PNG]
(--screenshot PNG also writes report_quality.png and report_tasks.png beside it, the latter
from OpenFace's CSVs of the shared mirrored default video with a task plan: the README's three
docs/ pictures)
"""
import argparse
import base64
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from devtools import DevTools, check_not_blank, fail  # noqa: E402

AU_COLUMNS = 35  # OpenFace 2.2: 17 intensities, 18 presences


def run(command, **kwargs):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            **kwargs)
    return result.returncode, result.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", required=True)
    parser.add_argument("--shared", required=True)
    parser.add_argument("--scratch", required=True)
    parser.add_argument("--screenshot", help="also save a full-page screenshot here")
    args = parser.parse_args()

    source = os.path.join(args.shared, "videos", "open_dbm", "subj01_timepoint01.mp4")
    models = os.path.join(args.shared, "models", "openface")
    if not os.path.isfile(source) or not os.path.isdir(models):
        print("SKIP: no shared data at " + args.shared)
        return 77
    if shutil.which("chromium") is None:
        fail("chromium is not installed (scripts/install_deps.sh installs it)")

    shutil.rmtree(args.scratch, ignore_errors=True)
    os.makedirs(args.scratch)
    clip = os.path.join(args.scratch, "subj01.mp4")
    out = os.path.join(args.scratch, "out")
    code, text = run(["ffmpeg", "-y", "-loglevel", "error", "-i", source, "-an", "-frames:v", "60",
                      "-vf", "scale=640:360", "-c:v", "libx264", "-preset", "veryfast", "-crf", "16",
                      "-pix_fmt", "yuv420p", clip])
    if code != 0:
        fail("ffmpeg: " + text)
    # A task plan beside the clip: the job takes it along and the page gets its task section.
    with open(os.path.join(args.scratch, "subj01_tasks.csv"), "w") as f:
        f.write("task,start_s,end_s\nrest,0,0.5\nsmile,0.5,1.2\nbrow_raise,1.2,2\n")
    started = time.time()
    code, text = run([args.cli, "mirror", clip, "-o", out, "--models", models, "--workers", "2",
                      "--segment-frames", "30", "--progress", "none"])
    print("mirror job and its report: %.1f s" % (time.time() - started))
    if code != 0:
        fail("facemirror mirror exited %d:\n%s" % (code, text))
    report = os.path.join(out, "subj01_report.html")
    for name in ["subj01_report.html", "index.html", "subj01_asymmetry.csv",
                 "asymmetry_summary.csv", "subj01_head_pose.csv", "subj01_tasks.csv",
                 "subj01_task_asymmetry.csv"]:
        if not os.path.isfile(os.path.join(out, name)):
            fail(name + " was not written:\n" + text)
    # The source face's yaw per frame, on the video's time axis (30 fps).
    with open(os.path.join(out, "subj01_head_pose.csv")) as f:
        pose = [line.split(",") for line in f.read().splitlines()[1:]]
    times = [float(p[1]) for p in pose]
    if len(pose) != 60 or [int(p[0]) for p in pose] != list(range(1, 61)) or \
            abs(times[-1] - 59 / 30) > 0.002 or sorted(set(times)) != times:
        fail("subj01_head_pose.csv: %d rows, timestamps %s..%s" % (len(pose), times[:3], times[-1:]))
    with open(os.path.join(out, "subj01_asymmetry.csv")) as f:
        lines = f.read().splitlines()
    if len(lines) != 1 + AU_COLUMNS:
        fail("subj01_asymmetry.csv has %d rows, expected %d" % (len(lines) - 1, AU_COLUMNS))

    # `report` on the folder gives the same numbers; an empty folder is an error naming it.
    code, text = run([args.cli, "report", out, "--models", models])
    if code != 0 or "ok     " + report not in text:
        fail("facemirror report exited %d:\n%s" % (code, text))
    with open(os.path.join(out, "subj01_asymmetry.csv")) as f:
        if f.read().splitlines() != lines:
            fail("facemirror report wrote other numbers than the mirror job's report")
    empty = os.path.join(args.scratch, "empty")
    os.makedirs(empty)
    code, text = run([args.cli, "report", empty])
    if code != 1 or empty not in text:
        fail("report on an empty folder: exit %d, %s" % (code, text))

    profile = tempfile.mkdtemp(prefix="facemirror_chromium_")
    browser = DevTools(profile)
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget",
                               {"targetId": target, "flatten": True})["sessionId"]
        for domain in ["Page.enable", "Network.enable", "Runtime.enable", "Log.enable"]:
            browser.call(domain, session=session)
        browser.call("Emulation.setDeviceMetricsOverride",
                     {"width": 1000, "height": 1400, "deviceScaleFactor": 1, "mobile": False},
                     session=session)
        url = "file://" + os.path.abspath(report)
        browser.navigate(url, session)

        def evaluate(expression):
            result = browser.call("Runtime.evaluate",
                                  {"expression": expression, "returnByValue": True},
                                  session=session)
            return result["result"].get("value")

        charts = evaluate("document.querySelectorAll('svg.au-chart').length")
        paths = evaluate("document.querySelectorAll('svg.au-chart.intensity path.series').length")
        rows = evaluate("document.querySelectorAll('table#summary tbody tr').length")
        stills = evaluate("Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0"
                          " && i.src.startsWith('data:image/jpeg')).length")
        images = evaluate("document.images.length")
        sections = evaluate("['summary-section','tasks','charts','quality','provenance',"
                            "'definitions'].filter(id => document.getElementById(id)).length")
        print("DOM: %s charts, %s intensity lines, %s summary rows, %s/%s stills decoded, "
              "%s sections" % (charts, paths, rows, stills, images, sections))
        if charts != AU_COLUMNS:
            fail("%s charts, expected one per AU (%d)" % (charts, AU_COLUMNS))
        if paths != 2 * 17:
            fail("%s intensity lines, expected left and right for 17 AUs" % paths)
        if rows != AU_COLUMNS:
            fail("the summary table has %s rows, expected %d" % (rows, AU_COLUMNS))
        if images < 2 or stills != images:
            fail("%s of %s stills decoded" % (stills, images))
        if sections != 6:
            fail("a section is missing")
        # The task plan: a row per task, and its three windows shaded on every intensity chart.
        tasks = evaluate("Array.from(document.querySelectorAll('#task-summary tr[data-task]'))"
                         ".map(r => r.dataset.task)")
        bands = evaluate("document.querySelectorAll('svg.au-chart.intensity rect.window').length")
        print("tasks: %s, %s shaded windows" % (tasks, bands))
        if tasks != ["smile", "brow_raise"] or bands != 3 * 17:
            fail("task section %s, %s shaded windows on the intensity charts" % (tasks, bands))
        # Face tracking: both mirrored faces on every frame of the clip, each with its mean
        # confidence (a number in (0, 1]), none flagged.
        tracking = evaluate("Array.from(document.querySelectorAll('table#tracking tr'))"
                            ".slice(1).map(r => [r.className, ...Array.from(r.cells)"
                            ".map(c => c.textContent)])")
        print("tracking: %s" % tracking)
        if [row[1] for row in tracking or []] != ["left face", "right face"]:
            fail("the face tracking table has rows %s" % tracking)
        for flagged, _, found, share, confidence in tracking:
            if flagged or share != "100.0%" or not 0 < float(confidence) <= 1:
                fail("face tracking: %s %s %s %s" % (flagged, found, share, confidence))

        requests = [e["params"]["request"]["url"] for e in browser.events
                    if e.get("method") == "Network.requestWillBeSent"]
        leaving = [u for u in requests if not (u.startswith("file://") or u.startswith("data:"))]
        blocked = [e["params"]["entry"]["text"] for e in browser.events
                   if e.get("method") == "Log.entryAdded"
                   and "Content Security Policy" in e["params"]["entry"].get("text", "")]
        print("requests: %d (%s)" % (len(requests), ", ".join(sorted({u.split(':')[0]
                                                                     for u in requests}))))
        if leaving or blocked:
            fail("requests leave the file: %s %s" % (leaving, blocked))

        shot = base64.b64decode(browser.call("Page.captureScreenshot", {"format": "png"},
                                             session=session)["data"])
        check_not_blank(shot)
        if args.screenshot:
            height = evaluate("Math.ceil(document.documentElement.scrollHeight)")
            full = browser.call("Page.captureScreenshot",
                                {"format": "png", "captureBeyondViewport": True,
                                 "clip": {"x": 0, "y": 0, "width": 1000,
                                          "height": min(height, 2600), "scale": 1}},
                                session=session)["data"]
            with open(args.screenshot, "wb") as f:
                f.write(base64.b64decode(full))
            # The quality section (yaw bands, stills) beside it, for the README.
            top = evaluate("Math.floor(document.getElementById('quality').getBoundingClientRect()"
                           ".top + window.scrollY)")
            end = evaluate("Math.ceil(document.getElementById('provenance')"
                           ".getBoundingClientRect().top + window.scrollY)")
            quality = browser.call("Page.captureScreenshot",
                                   {"format": "png", "captureBeyondViewport": True,
                                    "clip": {"x": 0, "y": top, "width": 1000,
                                             "height": max(1, end - top), "scale": 1}},
                                   session=session)["data"]
            quality_png = os.path.join(os.path.dirname(args.screenshot), "report_quality.png")
            with open(quality_png, "wb") as f:
                f.write(base64.b64decode(quality))
        pdf = base64.b64decode(browser.call("Page.printToPDF", {"printBackground": True},
                                            session=session)["data"])
        print("PDF: %d bytes" % len(pdf))
        if not pdf.startswith(b"%PDF") or len(pdf) < 20000:
            fail("printing to PDF gave %d bytes" % len(pdf))

        # The folder's index: its overview has the video's row, a cell per AU intensity, each
        # tinted (the policy lets the cells' inline colours through) and linking a chart that
        # the video's page has.
        chart_ids = evaluate("Array.from(document.querySelectorAll('[id^=chart-]')).map(e => e.id)")
        task_ids = evaluate("Array.from(document.querySelectorAll('[id^=task-]')).map(e => e.id)")
        browser.navigate("file://" + os.path.abspath(os.path.join(out, "index.html")), session)
        cells = evaluate("Array.from(document.querySelectorAll('table#overview tbody tr td'))"
                         ".slice(1).map(td => [getComputedStyle(td).backgroundColor,"
                         " td.querySelector('a') ? td.querySelector('a').hash.slice(1) : ''])")
        print("overview: %d cells, %d linked" % (len(cells or []),
                                                len([c for c in cells or [] if c[1]])))
        if not cells or len(cells) != 17:
            fail("the index's overview has %s cells, expected 17" % (len(cells or [])))
        untinted = [c for c in cells if c[0] in ("", "rgba(0, 0, 0, 0)")]
        unlinked = [c[1] for c in cells if c[1] and c[1] not in chart_ids]
        if untinted or unlinked:
            fail("overview cells without a colour %s or linking no chart %s" % (untinted, unlinked))
        # Its task list: both tasks of the plan, each linking its section on the page.
        listed = evaluate("Array.from(document.querySelectorAll('table#task-overview tbody tr a'))"
                          ".map(a => [a.textContent, a.hash.slice(1)])")
        print("task list: %s" % listed)
        if [name for name, _ in listed or []] != ["Smile", "Brow raise"] or \
                any(target not in task_ids for _, target in listed):
            fail("the index's task list %s (the page's tasks: %s)" % (listed, task_ids))
        if args.screenshot:
            # The README's picture of the task section: OpenFace's own CSVs of the shared
            # mirrored default video (brows raised around 5-9 s, a smile at 15-18 s) with the
            # mirrored videos and a plan, reported by `facemirror report`.
            demo = os.path.join(args.scratch, "tasks_demo")
            os.makedirs(demo)
            for side in ("left", "right"):
                name = "default_%s_mirrored" % side
                shutil.copy(os.path.join(args.shared, "reference", "openface22", "mirrored",
                                         name + ".csv"), demo)
                shutil.copy(os.path.join(args.shared, "videos", "mirrored", name + ".mp4"), demo)
            with open(os.path.join(demo, "default_tasks.csv"), "w") as f:
                f.write("task,start_s,end_s\nrest,0,2.5\nbrow_raise,4.5,9.5\nsmile,14.5,18.5\n")
            code, text = run([args.cli, "report", demo, "--models", models, "-q"])
            if code != 0:
                fail("facemirror report on the task demo exited %d:\n%s" % (code, text))
            browser.navigate("file://" + os.path.join(demo, "default_report.html"), session)
            top = evaluate("Math.floor(document.getElementById('tasks').getBoundingClientRect()"
                           ".top + window.scrollY)")
            end = evaluate("Math.ceil(document.getElementById('charts')"
                           ".getBoundingClientRect().top + window.scrollY)")
            picture = browser.call("Page.captureScreenshot",
                                   {"format": "png", "captureBeyondViewport": True,
                                    "clip": {"x": 0, "y": top, "width": 1000,
                                             "height": max(1, min(end - top, 2400)),
                                             "scale": 1}},
                                   session=session)["data"]
            with open(os.path.join(os.path.dirname(args.screenshot), "report_tasks.png"),
                      "wb") as f:
                f.write(base64.b64decode(picture))
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())

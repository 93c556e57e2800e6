#!/usr/bin/env python3
"""The report as a browser shows it: a mirror job on a short shared clip writes its report, and
headless Chromium (driven over the DevTools protocol on a pipe) opens the file and checks the DOM
(a chart per AU, the summary table, the stills), that no request leaves the file, that the
screenshot is not blank and that the page prints. Exit 77 (skipped) without the shared data.

usage: browser_report_test.py --cli FACEMIRROR --shared DIR --scratch DIR [--screenshot PNG]
(--screenshot also writes PNG's stem + "_quality.png": the docs/ pictures)
"""
import argparse
import base64
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

AU_COLUMNS = 35  # OpenFace 2.2: 17 intensities, 18 presences


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


class DevTools:
    """Chromium's DevTools protocol over --remote-debugging-pipe: JSON messages, NUL-ended, in on
    fd 3 and out on fd 4 of the browser."""

    def __init__(self, profile):
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def wire():
            # Through spare descriptors: one pipe end may already be 3 or 4, and dup2 onto
            # itself would keep its close-on-exec flag.
            high_in, high_out = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)

        self.process = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-pipe", "--user-data-dir=" + profile,
             # Nothing may resolve: a request that tried to leave would fail, and show below.
             "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars",
             "--window-size=1000,1400"],
            preexec_fn=wire, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self.buffer:
            if time.time() > deadline:
                fail("the browser did not answer in time")
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                fail("the browser closed its DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=None, timeout=60):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    fail("%s: %s" % (method, reply["error"]))
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method, timeout=60):
        deadline = time.time() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def close(self):
        try:
            self.call("Browser.close", timeout=10)
        except SystemExit:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def png_pixels(png):
    """(width, height, rows of RGB(A) bytes) of an 8-bit PNG (what Chromium writes)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        fail("the screenshot is not a PNG")
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", data[:10])
            channels = {2: 3, 6: 4}.get(colour, 0)
            if depth != 8 or channels == 0:
                fail("unexpected PNG format (depth %d, colour %d)" % (depth, colour))
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = previous[x]
            c = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def check_not_blank(png):
    width, height, channels, rows = png_pixels(png)
    colours, ink = set(), 0
    for row in rows[::4]:
        for x in range(0, width * channels, channels * 4):
            pixel = row[x:x + 3]
            colours.add(pixel)
            ink += 1 if sum(pixel) < 600 else 0  # not white-ish: text, lines, pictures
    samples = len(rows[::4]) * len(range(0, width * channels, channels * 4))
    print("screenshot %dx%d: %d colours, %.1f%% ink" % (width, height, len(colours),
                                                         100.0 * ink / samples))
    if len(colours) < 50 or ink < samples * 0.01:
        fail("the screenshot looks blank (%d colours, %d of %d samples inked)"
             % (len(colours), ink, samples))


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
    started = time.time()
    code, text = run([args.cli, "mirror", clip, "-o", out, "--models", models, "--workers", "2",
                      "--segment-frames", "30", "--progress", "none"])
    print("mirror job and its report: %.1f s" % (time.time() - started))
    if code != 0:
        fail("facemirror mirror exited %d:\n%s" % (code, text))
    report = os.path.join(out, "subj01_report.html")
    for name in ["subj01_report.html", "index.html", "subj01_asymmetry.csv",
                 "asymmetry_summary.csv", "subj01_head_pose.csv"]:
        if not os.path.isfile(os.path.join(out, name)):
            fail(name + " was not written:\n" + text)
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
        browser.call("Page.navigate", {"url": url}, session=session)
        browser.wait_for("Page.loadEventFired")

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
        sections = evaluate("['summary-section','charts','quality','provenance','definitions']"
                            ".filter(id => document.getElementById(id)).length")
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
        if sections != 5:
            fail("a section is missing")

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
            with open(os.path.splitext(args.screenshot)[0] + "_quality.png", "wb") as f:
                f.write(base64.b64decode(quality))
        pdf = base64.b64decode(browser.call("Page.printToPDF", {"printBackground": True},
                                            session=session)["data"])
        print("PDF: %d bytes" % len(pdf))
        if not pdf.startswith(b"%PDF") or len(pdf) < 20000:
            fail("printing to PDF gave %d bytes" % len(pdf))
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())

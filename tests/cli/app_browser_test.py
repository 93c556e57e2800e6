#!/usr/bin/env python3
"""`facemirror app` as its user sees it: the server starts on 127.0.0.1 and prints its URL with a
token; headless Chromium (DevTools protocol on a pipe) opens it, browses to a short shared clip,
edits the clip's task plan in the page (its player gives a new task's times), starts a
mirror + AUs batch with the median of 3 tracks, sees the progress reach 100%, opens the
video's report and finds the CSVs of `facemirror mirror --consensus 3`. The
refusals: no token, a wrong token, a foreign Host, a foreign Origin, paths outside the roots, a
task plan that is a link or that the report would refuse;
"only unprocessed" skips the finished video; Cancel stops a batch and leaves no file.
Exit 77 (skipped) without the shared data.

usage: app_browser_test.py --cli FACEMIRROR --shared DIR --scratch DIR
"""
import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from devtools import DevTools, fail  # noqa: E402


def request(port, method, path, headers=None, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", required=True)
    parser.add_argument("--shared", required=True)
    parser.add_argument("--scratch", required=True)
    parser.add_argument("--screenshot", help="save the finished page here")
    args = parser.parse_args()
    source = os.path.join(args.shared, "videos", "open_dbm", "subj01_timepoint01.mp4")
    models = os.path.join(args.shared, "models", "openface")
    if not os.path.isfile(source) or not os.path.isdir(models):
        print("SKIP: no shared data at " + args.shared)
        return 77

    shutil.rmtree(args.scratch, ignore_errors=True)
    root = os.path.join(args.scratch, "root")
    os.makedirs(os.path.join(root, "videos"))
    os.makedirs(os.path.join(root, "out"))
    clip = os.path.join(root, "videos", "clip.mp4")
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", source, "-an", "-frames:v", "30",
                    "-vf", "scale=640:360", "-c:v", "libx264", "-preset", "veryfast", "-crf", "16",
                    "-pix_fmt", "yuv420p", clip], check=True)
    # A task plan beside the clip: the listing marks the clip, and the report has its tasks.
    with open(os.path.join(root, "videos", "clip_tasks.csv"), "w") as f:
        f.write("task,start_s,end_s\nrest,0,0.3\nsmile,0.3,1\n")
    outside = os.path.join(args.scratch, "outside.mp4")
    shutil.copy(clip, outside)
    # A video whose plan is a link to a file outside the root: the editor must not write there.
    outside_plan = os.path.join(args.scratch, "outside_tasks.csv")
    with open(outside_plan, "w") as f:
        f.write("not a plan\n")
    shutil.copy(clip, os.path.join(root, "videos", "linked.mp4"))
    os.symlink(outside_plan, os.path.join(root, "videos", "linked_tasks.csv"))
    plan_file = os.path.join(root, "videos", "clip_tasks.csv")
    # A format facemirror reads and a browser does not play.
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", clip, "-frames:v", "5", "-c:v",
                    "wmv2", os.path.join(root, "videos", "old.wmv")], check=True)

    # A second root (--root is repeatable): the page offers both.
    second_root = os.path.join(args.scratch, "second root")
    os.makedirs(second_root)
    shutil.copy(clip, os.path.join(second_root, "other.mp4"))
    server = subprocess.Popen([args.cli, "app", "--no-browser", "--root", root, "--root",
                               second_root, "--models", models, "--workers", "2"],
                              stdout=subprocess.PIPE, text=True)
    browser = None
    profile = tempfile.mkdtemp(prefix="facemirror_chromium_")
    try:
        url = server.stdout.readline().strip()
        parsed = urllib.parse.urlparse(url)
        token = urllib.parse.parse_qs(parsed.query).get("token", [""])[0]
        if parsed.hostname != "127.0.0.1" or len(token) != 32:
            fail("the app printed %r, not http://127.0.0.1:PORT/?token=..." % url)
        port = parsed.port
        print("app at 127.0.0.1:%d" % port)
        # A models folder without the models is refused at once, not at Start.
        empty = os.path.join(root, "no_models")
        os.makedirs(empty, exist_ok=True)
        unserved = subprocess.run([args.cli, "app", "--no-browser", "--root", root, "--models",
                                   empty], capture_output=True, text=True, timeout=60)
        if unserved.returncode != 2 or "missing model file '%s/" % empty not in unserved.stderr:
            fail("an app with an empty models folder: exit %d, %r %r" % (
                unserved.returncode, unserved.stdout, unserved.stderr))
        # A second app on the same port is refused (it once started too, and the two split the
        # browser's requests, each refusing the other's token).
        second = subprocess.run([args.cli, "app", "--no-browser", "--port", str(port), "--root",
                                 root, "--models", models], capture_output=True, text=True,
                                timeout=60)
        if second.returncode != 1 or "cannot listen on 127.0.0.1:%d" % port not in second.stderr:
            fail("a second app on port %d: exit %d, %r %r" % (port, second.returncode,
                                                             second.stdout, second.stderr))

        # Refusals, each on its own.
        q = lambda params: "?" + urllib.parse.urlencode(dict({"token": token}, **params))  # noqa
        file_url = lambda path: "/files/" + token + urllib.parse.quote(path)  # noqa

        def events_once_ended(timeout):
            """The last batch's events once it has ended, asked for as the page asks (an
            answer at once, never a stream held open)."""
            deadline = time.time() + timeout
            while time.time() < deadline:
                _, data = request(port, "GET", "/api/events" + q({"from": 0}))
                reply = json.loads(data)
                if reply["finished"]:
                    return reply["events"]
                time.sleep(0.2)
            fail("the batch did not end within %d s" % timeout)
        checks = [
            ("no token", "GET", "/", {}, None, 403),
            ("wrong token", "GET", "/?token=" + "0" * 32, {}, None, 403),
            ("foreign Host", "GET", "/" + q({}), {"Host": "evil.example:%d" % port}, None, 403),
            ("foreign Origin", "POST", "/api/cancel" + q({}), {"Origin": "http://evil.example"},
             None, 403),
            ("listing outside the root", "GET", "/api/list" + q({"path": args.scratch}), {}, None,
             403),
            ("'..' out of the root", "GET",
             "/api/list" + q({"path": os.path.join(root, "..", "..")}), {}, None, 403),
            ("reading a file outside the root", "GET", file_url(outside), {}, None, 403),
            ("reading a file with a wrong token", "GET",
             "/files/" + "0" * 32 + urllib.parse.quote(clip), {}, None, 403),
            ("a file's wrong token, the right one beside", "GET",
             "/files/" + "0" * 32 + urllib.parse.quote(clip) + q({}), {"X-Facemirror-Token": token},
             None, 403),
            ("an input outside the root", "POST", "/api/start" + q({}), {},
             json.dumps({"inputs": [outside], "output": os.path.join(root, "out"),
                         "mode": "mirror"}), 403),
            ("an output outside the root", "POST", "/api/start" + q({}), {},
             json.dumps({"inputs": [clip], "output": args.scratch, "mode": "mirror"}), 403),
            ("a consensus above 15 tracks", "POST", "/api/start" + q({}), {},
             json.dumps({"inputs": [clip], "output": os.path.join(root, "out"), "mode": "aus",
                         "consensus": 16}), 400),
            ("a consensus that is no number", "POST", "/api/start" + q({}), {},
             json.dumps({"inputs": [clip], "output": os.path.join(root, "out"), "mode": "aus",
                         "consensus": "3"}), 400),
            ("a consensus without AUs", "POST", "/api/start" + q({}), {},
             json.dumps({"inputs": [clip], "output": os.path.join(root, "out"),
                         "mode": "mirror_only", "consensus": 3}), 400),
            ("a rerun mode it does not know", "POST", "/api/start" + q({}), {},
             json.dumps({"inputs": [clip], "output": os.path.join(root, "out"),
                         "mode": "mirror", "rerun": "bogus"}), 400),
            ("a task plan outside the root", "GET", "/api/task_plan" + q({"video": outside}), {},
             None, 403),
            ("saving a plan outside the root", "POST", "/api/task_plan" + q({}), {},
             json.dumps({"video": outside, "csv": "task,start_s,end_s\nsmile,0,1\n"}), 403),
            ("saving a plan that is a link", "POST", "/api/task_plan" + q({}), {},
             json.dumps({"video": os.path.join(root, "videos", "linked.mp4"),
                         "csv": "task,start_s,end_s\nsmile,0,1\n"}), 403),
            ("a plan for a file that is no video", "POST", "/api/task_plan" + q({}), {},
             json.dumps({"video": plan_file, "csv": "task,start_s,end_s\nsmile,0,1\n"}), 404),
            ("a plan of more than 256 KiB", "POST", "/api/task_plan" + q({}), {},
             json.dumps({"video": clip, "csv": "task,start_s,end_s\n" + "x" * (1 << 18)}), 413),
            ("a plan request that is not JSON", "POST", "/api/task_plan" + q({}), {}, "{video",
             400),
            ("a plan request that is a JSON array", "POST", "/api/task_plan" + q({}), {}, "[1]",
             400),
            ("a video that is no string", "POST", "/api/task_plan" + q({}), {},
             json.dumps({"video": 3, "csv": ""}), 400),
            ("a mode that is no string", "POST", "/api/start" + q({}), {},
             json.dumps({"inputs": [clip], "output": os.path.join(root, "out"), "mode": 1}), 400),
            ("a plan the report would refuse", "POST", "/api/task_plan" + q({}), {},
             json.dumps({"video": clip, "csv": "task,start_s,end_s\nsmile,2,1\n"}), 400),
            ("no output folder", "POST", "/api/start" + q({}), {},
             json.dumps({"inputs": [clip], "output": "", "mode": "mirror"}), 400),
            ("an output folder that is a file", "POST", "/api/start" + q({}), {},
             json.dumps({"inputs": [clip], "output": clip, "mode": "mirror"}), 400),
            ("an output folder not from /", "POST", "/api/start" + q({}), {},
             json.dumps({"inputs": [clip], "output": "out", "mode": "mirror"}), 400),
            ("a plan without rows", "POST", "/api/task_plan" + q({}), {},
             json.dumps({"video": os.path.join(root, "videos", "old.wmv"),
                         "csv": "task,start_s,end_s\n"}), 400),
            ("a window after the video's end", "POST", "/api/task_plan" + q({}), {},
             json.dumps({"video": os.path.join(root, "videos", "old.wmv"),
                         "csv": "task,start_s,end_s\nsmile,1,2\n"}), 400),
            # Before the end of the last frame's display, after its timestamp: no frame.
            ("a window after the last frame", "POST", "/api/task_plan" + q({}), {},
             json.dumps({"video": os.path.join(root, "videos", "old.wmv"),
                         "csv": "task,start_s,end_s\nsmile,0.15,0.3\n"}), 400),
            ("a window between two frames", "POST", "/api/task_plan" + q({}), {},
             json.dumps({"video": os.path.join(root, "videos", "old.wmv"),
                         "csv": "task,start_s,end_s\nsmile,0.01,0.03\n"}), 400),
            ("removing a plan there is not", "POST", "/api/task_plan" + q({}), {},
             json.dumps({"video": os.path.join(root, "videos", "old.wmv"), "remove": True}),
             404),
            ("the page with the token", "GET", "/" + q({}), {}, None, 200),
        ]
        for name, method, path, headers, body, expected in checks:
            status, reply = request(port, method, path, headers, body)
            print("%-32s -> %d" % (name, status))
            if status != expected:
                fail("%s: status %d, expected %d" % (name, status, expected))
            # The page shows the reason: one it can act on, naming what was refused.
            for said in {"no output folder": ["choose an output folder"],
                         "an output folder that is a file": [clip, "is a file, not a folder"],
                         "an input outside the root": [outside, "outside the chosen folders"],
                         "an output folder not from /": ["'out' is not a full path"],
                         "a plan without rows": ["no rows"],
                         "a window after the video's end": [
                             "'smile' starts at 1.00 s, after the video's last frame (0.133 s)"],
                         "a window after the last frame": [
                             "'smile' starts at 0.15 s, after the video's last frame (0.133 s)"],
                         "a window between two frames": [
                             "'smile' (0.010 s to 0.030 s) lies between two frames"],
                         "removing a plan there is not": ["no task plan to remove"],
                         }.get(name, []):
                if said not in reply.decode("utf-8", "replace"):
                    fail("%s: the reply %r does not say %r" % (name, reply, said))
        # A huge body is refused by its length, before it is read into memory: the server
        # answers after the headers alone.
        for path, limit in (("/api/start", "16384 KiB"), ("/api/task_plan", "256 KiB")):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.putrequest("POST", path + q({}))
            connection.putheader("Content-Type", "application/json")
            connection.putheader("Content-Length", str(1 << 30))
            connection.endheaders()
            response = connection.getresponse()
            reply = response.read().decode("utf-8", "replace")
            connection.close()
            print("%-32s -> %d" % ("1 GiB announced to " + path, response.status))
            if response.status != 413 or limit not in reply:
                fail("1 GiB to %s: status %d, %r" % (path, response.status, reply))
        if os.geteuid() != 0:  # root reads any folder
            closed = os.path.join(root, "closed")
            os.makedirs(closed, exist_ok=True)
            os.chmod(closed, 0)
            status, reply = request(port, "GET", "/api/list" + q({"path": closed}))
            os.chmod(closed, 0o755)
            if status != 403 or b"cannot be read" not in reply:
                fail("an unreadable folder: status %d, %r" % (status, reply))
        if os.path.exists(os.path.join(root, "videos", "old_tasks.csv")):
            fail("a plan without rows was written")
        with open(outside_plan) as f:
            if f.read() != "not a plan\n":
                fail("the link's target outside the root was written")
        with open(plan_file) as f:
            if f.read() != "task,start_s,end_s\nrest,0,0.3\nsmile,0.3,1\n":
                fail("a refused plan changed the clip's plan")

        browser = DevTools(profile)
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget",
                               {"targetId": target, "flatten": True})["sessionId"]
        browser.call("Page.enable", session=session)
        browser.call("Runtime.enable", session=session)

        def evaluate(expression, wait=False, navigating=False):
            """The expression's value; with `navigating` (a click on a link, a poll while a page
            loads), None when the page was replaced under the evaluation."""
            result = browser.call("Runtime.evaluate", {"expression": expression,
                                                       "returnByValue": True,
                                                       "awaitPromise": wait}, session=session,
                                  across_navigation=navigating)
            return None if result is None else result["result"].get("value")

        def wait_until(expression, timeout, what):
            deadline = time.time() + timeout
            while time.time() < deadline:
                if evaluate(expression, navigating=True):
                    return
                time.sleep(0.25)
            fail("timed out waiting for " + what + "; page: " +
                 str(evaluate("document.body.innerText"))[:2000])

        browser.navigate(url, session)
        # Browse into videos/, tick the clip, output into out/, mirror + AUs, start.
        wait_until("document.querySelector('#browser div.folder') !== null", 20, "the listing")
        evaluate("[...document.querySelectorAll('#roots button')].pop().click()")
        wait_until("document.getElementById('where').textContent === %s && [...document."
                   "querySelectorAll('#browser div')].some(d => d.textContent.includes("
                   "'other.mp4'))" % json.dumps(second_root), 20, "the second root's listing")
        evaluate("document.querySelector('#roots button').click()")
        wait_until("document.getElementById('where').textContent === %s" % json.dumps(root), 20,
                   "the first root again")
        print("both roots browsable")
        wait_until("document.querySelector('#browser div.folder') !== null", 20, "the listing")
        evaluate("[...document.querySelectorAll('#browser div.folder')]"
                 ".find(d => d.textContent === 'videos/').click()")
        wait_until("document.querySelector('#browser input[type=checkbox]') !== null", 20,
                   "the videos folder")
        badge = evaluate("document.querySelector('#browser .task-plan') ? document.querySelector("
                         "'#browser .task-plan').parentElement.textContent : ''")
        if "clip.mp4" not in badge or "task plan" not in badge:
            fail("the listing does not mark the clip's task plan: %r" % badge)

        # The task plan editor: the clip's plan loads into the table and the clip into the
        # player; a task the report would refuse is refused with its reason; a brow raise whose
        # start and end are taken from the player's time is saved, and reaches the report.
        evaluate("[...document.querySelectorAll('#browser div')].find(d => d.textContent"
                 ".includes('clip.mp4')).querySelector('button.edit-plan').click()")
        wait_until("document.querySelectorAll('#plan-rows tbody tr').length === 2", 20,
                   "the clip's plan in the editor")
        table = ("[...document.querySelectorAll('#plan-rows tbody tr')].map(tr => "
                 "[tr.cells[0].firstChild.value, tr.cells[1].firstChild.value, "
                 "tr.cells[2].firstChild.value].join(' '))")
        if evaluate(table) != ["rest 0 0.3", "smile 0.3 1"]:
            fail("the editor shows %s" % evaluate(table))
        wait_until("document.getElementById('plan-video').readyState >= 1 && "
                   "document.getElementById('plan-video').duration > 0.5", 30,
                   "the clip in the editor's player")
        last_row = "[...document.querySelectorAll('#plan-rows tbody tr')].pop()"
        # A new row offers the next standard movement not yet in the plan (rest and smile are).
        evaluate("document.getElementById('plan-add').click()")
        offered = evaluate("%s.cells[0].firstChild.value" % last_row)
        if offered != "brow_raise":
            fail("a new row offers %r, not the first standard movement missing" % offered)
        evaluate("(() => { const tr = %s; tr.cells[0].firstChild.value = '';"
                 " tr.cells[0].firstChild.onchange(); tr.cells[0].children[1].value = 'wink';"
                 " tr.cells[1].firstChild.value = '0.1'; tr.cells[2].firstChild.value = '0.2';"
                 " })()" % last_row)
        evaluate("document.getElementById('plan-save').click()")
        wait_until("document.getElementById('plan-message').textContent.includes("
                   "\"'wink' is not a standard movement\")", 20, "the refusal of a task without AUs")
        refusal = evaluate("document.getElementById('plan-message').textContent")
        print("editor: " + refusal)
        # The editor's rows, not the file's lines (its header is line 1): wink is the third row.
        if "row 3 (line 4 of the file)" not in refusal:
            fail("the refusal does not name the editor's row: " + refusal)
        evaluate("%s.cells[4].firstChild.click()" % last_row)  # the row's x
        evaluate("document.getElementById('plan-add').click()")
        evaluate("(() => { const choice = %s.cells[0].firstChild; choice.value = 'brow_raise';"
                 " choice.onchange(); })()" % last_row)
        for cell, at in ((1, 0.5), (2, 0.9)):
            evaluate("document.getElementById('plan-video').currentTime = %s" % at)
            wait_until("!document.getElementById('plan-video').seeking && "
                       "document.getElementById('plan-video').currentTime === %s" % at, 20,
                       "the player at %s s" % at)
            evaluate("%s.cells[%d].children[1].click()" % (last_row, cell))  # "now"
        evaluate("document.getElementById('plan-save').click()")
        wait_until("document.getElementById('plan-message').textContent.startsWith('saved')", 20,
                   "the plan to be saved")
        with open(plan_file) as f:
            saved = f.read()
        print("editor saved:\n" + saved.strip())
        if saved != "task,start_s,end_s,aus\nrest,0,0.3,\nsmile,0.3,1,\nbrow_raise,0.5,0.9,\n":
            fail("the editor saved %r" % saved)
        if args.screenshot:
            import base64
            shot = browser.call("Page.captureScreenshot", {"format": "png"}, session=session)
            with open(os.path.join(os.path.dirname(args.screenshot), "app_tasks.png"), "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        evaluate("document.getElementById('plan-close').click()")
        evaluate("[...document.querySelectorAll('#browser div')].find(d => d.textContent"
                 ".includes('old.wmv')).querySelector('button.edit-plan').click()")
        wait_until("document.getElementById('plan-message').textContent.includes("
                   "'cannot play')", 20, "the note that the browser cannot play a WMV")
        if evaluate("document.querySelectorAll('#plan-rows tbody tr').length") != 0:
            fail("the WMV's editor shows another video's rows")
        evaluate("document.getElementById('plan-close').click()")

        # Two videos of one name from two folders: each row says its folder (they once read
        # the same). The rows made here are the page's own, taken out again.
        names = evaluate("(() => { const a = row('/s1/visit.mp4'), b = row('/s2/visit.mp4');"
                         " const n = [a.cells[0].textContent, b.cells[0].textContent];"
                         " a.remove(); b.remove(); delete rows['/s1/visit.mp4'];"
                         " delete rows['/s2/visit.mp4']; return n; })()")
        if names != ["s1/visit.mp4", "s2/visit.mp4"]:
            fail("two same-named videos' rows read %s" % names)
        # A folder added to the batch is taken out by its own button (once only by Clear).
        evaluate("document.getElementById('add-folder').click()")
        if evaluate("document.querySelectorAll('#inputs li').length") != 1:
            fail("the added folder is not listed")
        evaluate("document.querySelector('#inputs li button.remove-input').click()")
        wait_until("document.querySelectorAll('#inputs li').length === 0", 10,
                   "the folder taken out of the batch")
        evaluate("document.querySelector('#browser input[type=checkbox]').click()")
        if evaluate("document.querySelectorAll('#inputs li').length") != 1:
            fail("the ticked clip is not the batch's one input")
        evaluate("document.getElementById('output').value = %s" %
                 json.dumps(os.path.join(root, "out")))
        evaluate("document.querySelector('input[name=mode][value=mirror]').click()")
        evaluate("document.querySelector('input[name=tracks][value=\"3\"]').click()")
        evaluate("document.getElementById('start').click()")
        started = time.time()
        wait_until("document.getElementById('overall-percent').textContent === '100%' && "
                   "!document.getElementById('summary').hidden", 240, "the batch to finish")
        summary = evaluate("document.getElementById('summary-line').textContent")
        print("summary after %.1f s: %s" % (time.time() - started, summary))
        if not summary.startswith("done 1, skipped 0, failed 0"):
            fail("summary: " + summary)
        if args.screenshot:
            import base64
            shot = browser.call("Page.captureScreenshot", {"format": "png"}, session=session)
            with open(args.screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        report = evaluate("document.querySelector('a.report-link').href")
        browser.navigate(report, session)
        wait_until("document.title.startsWith('facemirror report: clip') && "
                   "document.readyState === 'complete'", 30, "the report")
        charts = evaluate("document.querySelectorAll('svg.au-chart').length")
        print("report opened from the app: %s charts" % charts)
        if charts != 35:
            fail("the report shows %s charts" % charts)
        tasks = evaluate("Array.from(document.querySelectorAll('#task-summary tr[data-task]'))"
                         ".map(r => r.dataset.task)")
        if tasks != ["smile", "brow_raise"]:
            fail("the report's tasks: %s" % tasks)
        provenance = evaluate("document.getElementById('provenance').innerText")
        if "mirror of 1 input, consensus 3" not in provenance:
            fail("the report's provenance does not name the consensus: " + provenance[:500])
        # An earlier batch's files are links in the listing.
        browser.navigate(url, session)
        wait_until("document.querySelector('#browser div.folder') !== null", 20, "the listing")
        evaluate("[...document.querySelectorAll('#browser div.folder')]"
                 ".find(d => d.textContent === 'out/').click()")
        wait_until("[...document.querySelectorAll('#browser a.file')].some(a => "
                   "a.textContent === 'index.html')", 20, "the out folder's files")
        index_link = evaluate("[...document.querySelectorAll('#browser a.file')].find(a => "
                              "a.textContent === 'clip_report.html').href")
        browser.navigate(index_link, session)
        wait_until("document.title === 'facemirror report: clip'", 30, "the report from the listing")

        # The report's own links work from the app: to the folder's index and back.
        evaluate("document.querySelector('a[href=\"index.html\"]').click()", navigating=True)
        wait_until("document.title === 'facemirror reports: out' && "
                   "document.readyState === 'complete'", 30, "the index from the report's link")
        evaluate("document.querySelector('a[href=\"clip_report.html\"]').click()",
                 navigating=True)
        wait_until("document.title === 'facemirror report: clip' && "
                   "document.readyState === 'complete'", 30, "the report from the index's link")
        print("report -> index.html -> report by their own links")

        # A page that came with the videos runs no script when the app shows it: it could read
        # the token from its address and drive the app.
        hostile = os.path.join(root, "videos", "read me.html")
        with open(hostile, "w") as f:
            f.write("<title>notes</title><script>document.title = 'ran'; fetch('/api/list?path="
                    "/&token=' + location.pathname.split('/')[2]);</script>")
        browser.navigate("http://127.0.0.1:%d%s" % (port, file_url(hostile)), session)
        time.sleep(0.5)
        title = evaluate("document.title")
        if title != "notes":
            fail("a page under the root ran its script in the app (title %r)" % title)
        print("a page under the root is shown without its script")

        # The page's "median of 3" reached the engine: the mirrored faces' CSVs are those of
        # `facemirror mirror --consensus 3`, which differ from one track's on this clip.
        for tracks in (3, 1):
            cli_out = os.path.join(args.scratch, "cli_consensus_%d" % tracks)
            subprocess.run([args.cli, "mirror", clip, "-o", cli_out, "--models", models, "-q",
                            "--no-report", "--consensus", str(tracks)], check=True)
            for side in ("left", "right"):
                name = "clip_%s_mirrored.csv" % side
                with open(os.path.join(root, "out", name), "rb") as f:
                    from_app = f.read()
                with open(os.path.join(cli_out, name), "rb") as f:
                    same = f.read() == from_app
                if same != (tracks == 3):
                    fail("%s from the app %s the CLI's with --consensus %d" %
                         (name, "equals" if same else "differs from", tracks))
        print("the app's CSVs are mirror --consensus 3's, not one track's")

        # A written video, whole and as the byte range a video player asks for, is the file's.
        video = os.path.join(root, "out", "clip_left_mirrored.mp4")
        with open(video, "rb") as f:
            on_disk = f.read()
        status, served = request(port, "GET", file_url(video))
        if status != 200 or served != on_disk:
            fail("/files served %d bytes (status %d) of a %d-byte video" %
                 (len(served), status, len(on_disk)))
        start = len(on_disk) // 3
        status, part = request(port, "GET", file_url(video),
                               {"Range": "bytes=%d-%d" % (start, len(on_disk) - 1)})
        if status != 206 or part != on_disk[start:]:
            fail("a range request got status %d and %d bytes, expected 206 and %d" %
                 (status, len(part), len(on_disk) - start))
        print("the written video served whole and from byte %d of %d" % (start, len(on_disk)))

        # Only unprocessed: the same batch again (the page's median of 3) is skipped.
        status, _ = request(port, "POST", "/api/start" + q({}), {}, json.dumps(
            {"inputs": [clip], "output": os.path.join(root, "out"), "mode": "mirror",
             "rerun": "unprocessed", "consensus": 3}))
        if status != 200:
            fail("second start: %d" % status)
        events = events_once_ended(60)
        if not any(e.get("outcome") == "skipped" for e in events):
            fail("the processed video was not skipped: %s" % events[-3:])
        print("second run: skipped")
        # A page loaded again after the batch ended shows it (its rows, result and summary).
        browser.navigate(url, session)
        wait_until("!document.getElementById('summary').hidden && [...document.querySelectorAll("
                   "'#videos td')].some(td => td.textContent === 'skipped')", 20,
                   "a page loaded after the batch to show its results")
        print("a page loaded after the batch shows it")

        # Each mode links its own outputs: an AUs-only batch its CSV, then the folder's report
        # (`facemirror report OUTDIR`: a page per video and the index); a mirror-only batch its
        # mirrored videos and no report (it measures no AUs).
        def batch_events(body):
            status, _ = request(port, "POST", "/api/start" + q({}), {}, json.dumps(body))
            if status != 200:
                fail("start %s: %d" % (body, status))
            return events_once_ended(120)

        for mode, folder, labels in (("aus", "out_aus", ["AU CSV"]),
                                     ("mirror_only", "out_mirror_only",
                                      ["right mirrored", "left mirrored"])):
            out_dir = os.path.join(root, folder)
            events = batch_events({"inputs": [clip], "output": out_dir, "mode": mode})
            done = [e for e in events if e.get("outcome") == "done"]
            finished = events[-1]
            links = done[0]["links"] if len(done) == 1 else []
            if [l["label"] for l in links] != labels or not all(
                    os.path.isfile(l["path"]) for l in links) or finished.get("status") != 0:
                fail("%s batch: %s" % (mode, events[-3:]))
            has_report = os.path.isfile(os.path.join(out_dir, "clip_report.html"))
            if has_report != (mode == "aus") or ("index" in finished) != (mode == "aus"):
                fail("%s batch: report %s, index %s" % (mode, has_report, finished.get("index")))
            # The clip's plan goes with its CSV: its one-face report has the task section.
            if has_report and 'data-task="smile"' not in open(
                    os.path.join(out_dir, "clip_report.html")).read():
                fail("%s batch: the report has no task section from the clip's plan" % mode)
            print("%s batch links %s%s" % (mode, labels, ", then the index" if has_report else ""))
            # "Only unprocessed" again: the video is skipped, whatever the mode.
            again = batch_events({"inputs": [clip], "output": out_dir, "mode": mode,
                                  "rerun": "unprocessed"})
            if [e["outcome"] for e in again if e["type"] == "outcome"] != ["skipped"]:
                fail("%s again, only unprocessed: %s" % (mode, again[-3:]))

        # An AUs-only batch whose every video fails: its failure once, no report of a folder
        # without AUs reported as a second failure of the batch.
        broken = os.path.join(root, "videos", "broken.mp4")
        with open(broken, "w") as f:
            f.write("not a video\n")
        events = batch_events({"inputs": [broken], "output": os.path.join(root, "out_broken"),
                               "mode": "aus"})
        outcomes = [(e["outcome"], os.path.basename(e["input"])) for e in events
                    if e["type"] == "outcome"]
        if outcomes != [("failed", "broken.mp4")]:
            fail("an AUs-only batch of one broken video: %s" % outcomes)
        os.remove(broken)
        print("an AUs-only batch of a broken video: one failure, no report")

        # Remove plan: the file goes, and the listing no longer marks the clip.
        status, _ = request(port, "POST", "/api/task_plan" + q({}), {},
                            json.dumps({"video": clip, "remove": True}))
        _, listing = request(port, "GET", "/api/list" + q({"path": os.path.join(root, "videos")}))
        marked = [e["name"] for e in json.loads(listing)["entries"] if e["task_plan"]]
        if status != 200 or os.path.exists(plan_file) or "clip.mp4" in marked:
            fail("removing the plan: status %d, file there %s, marked %s" %
                 (status, os.path.exists(plan_file), marked))
        print("plan removed")

        # A finished video is said done as it finishes, not when the batch ends: old.wmv's 5
        # frames are done while clip.mp4's 30 still run (the page links its outputs then).
        events = batch_events({"inputs": [os.path.join(root, "videos", "old.wmv"), clip],
                               "output": os.path.join(root, "out_each"), "mode": "aus"})
        done_at = [i for i, e in enumerate(events)
                   if e.get("outcome") == "done" and e["input"].endswith("old.wmv")]
        clip_progress = [i for i, e in enumerate(events)
                         if e["type"] == "progress" and e.get("video", "").endswith("clip.mp4")]
        if not done_at or not clip_progress or done_at[0] > clip_progress[-1]:
            fail("old.wmv's done came after clip.mp4's progress ended: %s" % [
                (e["type"], e.get("outcome"), os.path.basename(e.get("input", e.get("video", ""))))
                for e in events])
        print("a video is said done as it finishes")

        # Cancel: a longer clip is stopped after its first progress event; it leaves no file.
        longer = os.path.join(root, "videos", "longer.mp4")
        subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", source, "-an", "-frames:v",
                        "150", "-vf", "scale=640:360", "-c:v", "libx264", "-preset", "veryfast",
                        "-pix_fmt", "yuv420p", longer], check=True)
        status, _ = request(port, "POST", "/api/start" + q({}), {}, json.dumps(
            {"inputs": [longer], "output": os.path.join(root, "out"), "mode": "mirror",
             "rerun": "all"}))
        if status != 200:
            fail("third start: %d" % status)
        # A page opened while it runs (a second tab) follows it: Cancel on, Start off.
        browser.navigate(url, session)
        wait_until("document.getElementById('start').disabled && "
                   "!document.getElementById('cancel').disabled && [...document.querySelectorAll("
                   "'#videos td')].some(td => td.textContent.includes('longer.mp4'))", 20,
                   "a page opened during the batch to follow it")
        print("a page opened during the batch follows it")
        # Eight more followers, as many tabs would poll: Cancel still gets through at once (a
        # stream per tab once held every connection until the batch's end).
        others = [http.client.HTTPConnection("127.0.0.1", port, timeout=120) for _ in range(8)]
        for other in others:
            other.request("GET", "/api/events" + q({"from": 0}))
        cancelled_at, finished, outcomes, next_event = None, None, [], 0
        deadline = time.time() + 120
        while finished is None and time.time() < deadline:
            _, data = request(port, "GET", "/api/events" + q({"from": next_event}))
            events = json.loads(data)["events"]
            next_event += len(events)
            for event in events:
                if (event["type"] == "progress" and event["frames_done"] > 0
                        and cancelled_at is None):
                    cancelled_at = event["frames_done"]
                    sent = time.time()
                    request(port, "POST", "/api/cancel" + q({}))
                    if time.time() - sent > 5:
                        fail("Cancel took %.1f s beside 8 followers" % (time.time() - sent))
                elif event["type"] == "outcome":
                    outcomes.append(event["outcome"])
                elif event["type"] == "finished":
                    finished = event
            time.sleep(0.1)
        for other in others:
            other.getresponse().read()
            other.close()
        left = [n for n in os.listdir(os.path.join(root, "out")) if n.startswith("longer")]
        print("cancelled at frame %s: %s, files left %s" % (cancelled_at, finished, left))
        if cancelled_at is None or not finished or not finished["cancelled"] or left:
            fail("cancel did not stop the batch cleanly")
        # The video cut short is cancelled, not failed (nothing is wrong with it).
        if outcomes != ["cancelled"]:
            fail("the cancelled video's outcome: %s" % outcomes)
        wait_until("document.getElementById('summary-line').textContent.includes('cancelled 1')"
                   " && !document.getElementById('start').disabled && [...document."
                   "querySelectorAll('#videos tr')].some(tr => tr.cells[1] && tr.cells[1]."
                   "textContent === 'cancelled')", 20,
                   "the following page to show the cancelled batch, the video's stage cancelled")
        # The app stopped (Ctrl-C in its terminal): the page says so and offers nothing.
        server.terminate()
        server.wait(timeout=20)
        wait_until("document.getElementById('message').textContent.includes('The app has "
                   "stopped') && document.getElementById('start').disabled", 20,
                   "the page to notice the app has stopped")
        print("the page noticed the app stopped")
    finally:
        if browser:
            browser.close()
        server.terminate()  # once more, if a check failed before the one above
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            fail("the app did not stop on SIGTERM")
        shutil.rmtree(profile, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())

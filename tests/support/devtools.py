"""Headless Chromium driven over the DevTools protocol on a pipe (no driver package needed), and
a PNG check, for the report's and the app's browser tests."""
import json
import os
import struct
import subprocess
import sys
import time
import zlib


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
             # No name resolves (the app is reached at 127.0.0.1): a request that tried to leave
             # would fail, and the tests see it.
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--hide-scrollbars",
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

    def call(self, method, params=None, session=None, timeout=60, across_navigation=False):
        """The method's result. An error fails the test, except, with `across_navigation`, the
        one a page gives while it is being replaced (an evaluation that clicked a link, or
        polled while the next page loads): then None."""
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
                    if across_navigation and "navigated or closed" in str(reply["error"]):
                        return None
                    fail("%s: %s" % (method, reply["error"]))
                return reply["result"]
            self.events.append(reply)

    def navigate(self, url, session, timeout=60):
        """Loads `url` in the page and returns once it has fired its load event: a load event
        of an earlier page still in the buffer would otherwise end the wait at once, and the
        next evaluation could meet the navigation half done ("Inspected target navigated")."""
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        self.call("Page.navigate", {"url": url}, session=session, timeout=timeout)
        return self.wait_for("Page.loadEventFired", timeout)

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



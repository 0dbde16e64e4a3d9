"""Shared by the report tests: headless Chromium driven over the DevTools protocol."""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from pathlib import Path

import pytest


FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,2200"]


class DevTools:
    """Headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
    NUL-terminated JSON messages, Chromium reads fd 3 and writes fd 4); no extra package."""

    def __init__(self, exe: str, user_dir: Path) -> None:
        import fcntl  # POSIX only, like the pipe hand-over below

        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        child = []
        for fd in (to_r, from_w):  # above 4, so that bash can move them to 3 and 4
            child.append(fcntl.fcntl(fd, fcntl.F_DUPFD, 10))
            os.close(fd)
        script = f'exec "$0" "$@" 3<&{child[0]} 4>&{child[1]} {child[0]}<&- {child[1]}>&-'
        self.proc = subprocess.Popen(["bash", "-c", script, exe, *FLAGS, "--remote-debugging-pipe",
                                      f"--user-data-dir={user_dir}", "about:blank"],
                                     pass_fds=tuple(child), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for fd in child:
            os.close(fd)
        self._w, self._r, self._buf, self._id = to_w, from_r, b"", 0
        self.events: list[dict] = []
        self.session = ""

    def _message(self, timeout_s: float) -> dict:
        while b"\0" not in self._buf:
            if not select.select([self._r], [], [], timeout_s)[0]:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method: str, params: dict | None = None, *, browser: bool = False, timeout_s: float = 30.0) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if not browser:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._message(timeout_s)
            if m.get("id") == self._id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m["result"]
            self.events.append(m)

    def open(self, path: Path, *, network: bool = False) -> None:
        """A fresh tab on ``path``, waiting until the report's script marks the body ready;
        ``network``: also record the Network domain's events (:meth:`requests`)."""
        target = self.send("Target.createTarget", {"url": "about:blank"}, browser=True)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 browser=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log") + (("Network",) if network else ()):
            self.send(f"{domain}.enable")
        self.events.clear()
        self.send("Page.navigate", {"url": path.resolve().as_uri()})
        deadline = time.monotonic() + 20
        while self.eval("document.readyState") != "complete" or self.eval(
                "document.body && document.body.getAttribute('data-ready')") != "1":
            assert time.monotonic() < deadline, "the report did not finish loading"
            time.sleep(0.05)

    def requests(self) -> list[str]:
        """URLs of every request the page made (DevTools ``Network.requestWillBeSent``)."""
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def eval(self, expression: str):
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError(r["exceptionDetails"])
        return r["result"].get("value")

    def mouse(self, kind: str, x: float, y: float) -> None:
        self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                               "clickCount": 1 if kind != "mouseMoved" else 0})

    def problems(self) -> list[str]:
        """Uncaught exceptions, console errors and error log entries (e.g. CSP violations)."""
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e.get("method") == "Runtime.exceptionThrown":
                out.append(str(p.get("exceptionDetails", {}).get("text")))
            elif e.get("method") == "Runtime.consoleAPICalled" and p.get("type") == "error":
                out.append(str(p.get("args")))
            elif e.get("method") == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(str(p["entry"].get("text")))
        return out

    def close(self) -> None:
        try:
            self.send("Browser.close", browser=True, timeout_s=5)
        except (OSError, RuntimeError, TimeoutError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._w)
        os.close(self._r)


@pytest.fixture(scope="module")
def browser(chromium, tmp_path_factory):
    b = DevTools(chromium, tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()



"""A small client for the Chrome DevTools protocol, driving Debian's headless chromium
for the portal's browser tests: isolated pages (own cookies), a viewport, navigation,
script evaluation, file inputs, screenshots and downloads. Only 127.0.0.1 is visited."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--hide-scrollbars", "--remote-debugging-port=0", "--mute-audio"]


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    def __init__(self, folder: Path):
        exe = chromium()
        if exe is None:
            raise RuntimeError("chromium is missing: `make test` installs Debian's chromium")
        profile = folder / "profile"
        profile.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([exe, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and len(port_file.read_text().splitlines()) >= 2:
                break
            time.sleep(0.1)
        port, path = port_file.read_text().splitlines()[:2]
        self.ws = connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=30)
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 60) -> dict:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_event(self, method: str, session: str | None = None, timeout: float = 60, where=None) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e["method"] == method and (session is None or e.get("sessionId") == session) \
                        and (where is None or where(e["params"])):
                    return self.events.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {method} within {timeout} s")
            try:
                self.events.append(json.loads(self.ws.recv(timeout=left)))
            except TimeoutError:
                continue

    def page(self, width: int, height: int, mobile: bool, downloads: Path | None = None) -> Page:
        context = self.call("Target.createBrowserContext")["browserContextId"]
        target = self.call("Target.createTarget", {"url": "about:blank", "browserContextId": context})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session, context)
        page.call("Page.enable")
        page.call("Runtime.enable")
        page.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
        if downloads is not None:
            downloads.mkdir(parents=True, exist_ok=True)
            self.call("Browser.setDownloadBehavior", {"behavior": "allow", "browserContextId": context,
                                                      "downloadPath": str(downloads), "eventsEnabled": True})
        return page

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=10)
        except Exception:  # noqa: BLE001 - it may already be gone
            pass
        try:
            self.ws.close()
        finally:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Page:
    def __init__(self, browser: Browser, session: str, context: str):
        self.browser, self.session, self.context = browser, session, context

    def call(self, method: str, params: dict | None = None, timeout: float = 60) -> dict:
        return self.browser.call(method, params, self.session, timeout)

    def _forget_loads(self) -> None:
        self.browser.events = [e for e in self.browser.events
                               if not (e["method"] == "Page.loadEventFired" and e.get("sessionId") == self.session)]

    def goto(self, url: str) -> None:
        self._forget_loads()
        self.call("Page.navigate", {"url": url})
        self.browser.wait_event("Page.loadEventFired", self.session)

    def eval(self, script: str) -> Any:
        got = self.call("Runtime.evaluate", {"expression": script, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in got:
            raise RuntimeError(f"{script}: {got['exceptionDetails']}")
        return got["result"].get("value")

    def fill(self, selector: str, value: str) -> None:
        self.eval(f"document.querySelector({json.dumps(selector)}).value = {json.dumps(value)}")

    def set_files(self, selector: str, paths: list[Path]) -> None:
        root = self.call("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = self.call("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        self.call("DOM.setFileInputFiles", {"files": [str(p) for p in paths], "nodeId": node})

    def click_and_wait(self, selector: str, timeout: float = 120) -> None:
        """Click (a submit button, a link) and wait for the page it leads to."""
        self._forget_loads()
        self.eval(f"document.querySelector({json.dumps(selector)}).click()")
        self.browser.wait_event("Page.loadEventFired", self.session, timeout)

    def click(self, selector: str) -> None:
        self.eval(f"document.querySelector({json.dumps(selector)}).click()")

    def url(self) -> str:
        return self.eval("location.href")

    def overflow(self) -> int:
        """How many CSS pixels the page is wider than the screen (0: it fits)."""
        return self.eval("document.documentElement.scrollWidth - window.innerWidth")

    def screenshot(self, path: Path) -> Path:
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        shot = self.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def download(self, selector: str, timeout: float = 60) -> str:
        """Click a download link; returns the file's name once it is complete."""
        self.click(selector)
        begun = self.browser.wait_event("Browser.downloadWillBegin", timeout=timeout)
        guid = begun["params"]["guid"]
        self.browser.wait_event("Browser.downloadProgress", timeout=timeout,
                                where=lambda p: p.get("guid") == guid and p.get("state") == "completed")
        return begun["params"]["suggestedFilename"]

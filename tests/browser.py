"""Headless Chromium for the browser tests: Debian's chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import http.server
import shutil
import socket
from pathlib import Path

import pytest

from grading.course import REPO_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags for a closed network (see the machine notes): no background connections, no sandbox as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = REPO_ROOT / "build" / "screenshots"


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (.ci/run does)")


def launch_browser():
    """Yield a Playwright Chromium browser (a generator for pytest fixtures)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass


def collect_errors(page) -> list[str]:
    """Console errors, page errors and requests that leave localhost, as they happen."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    # Every request must stay on localhost: a CDN address would fail offline.
    page.on("request", lambda req: errors.append(f"off-host request: {req.url}")
            if not req.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")) else None)
    return errors


def without_favicon(errors: list[str]) -> list[str]:
    """Chromium asks every server for /favicon.ico; the decks have none (a 404 logged as a console error)."""
    return [e for e in errors if "favicon.ico" not in e and not e.endswith("404 (File not found)")]

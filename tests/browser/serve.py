"""Start the dashboard for a browser test as `make run` does: `streamlit run app.py` on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(db: Path, log: Path, *args: str, port: int | None = None,
              seconds: float = 40) -> tuple[subprocess.Popen, str]:
    """Start the app on `db` (no sample of its own), its output in `log`; return the process and its URL
    once it answers its health check. `args` go to `streamlit run` (e.g. --secrets.files)."""
    port = port or free_port()
    env = {**os.environ, "PMO_METRICS_DB": str(db), "PMO_METRICS_NO_SAMPLE": "1"}
    with open(log, "wb") as out:  # the child keeps its own handle
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless",
             "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", *args],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit stopped: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    pytest.fail(f"streamlit did not start within {seconds:.0f} s")


def stop(process: subprocess.Popen) -> None:
    """Stop the app, killing it if it does not end within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()

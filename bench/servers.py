"""The bench's local vendors: nginx (fast) and the latency server (50 ms away).

Both listen on 127.0.0.1 only, are started as child processes and stopped
(SIGTERM, then SIGKILL) when their ``with`` block ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
NGINX_CANDIDATES = ("nginx", "/usr/sbin/nginx", "/usr/local/sbin/nginx")


def nginx_binary() -> str | None:
    for name in NGINX_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:g}s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


class Nginx:
    """``with Nginx() as url:`` a fresh nginx with bench/nginx.conf on a free port."""

    def __init__(self) -> None:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed (apt-get install -y nginx-light)")
        self.binary = binary
        self.proc: subprocess.Popen[bytes] | None = None
        self.prefix = Path(tempfile.mkdtemp(prefix="signal-bench-nginx-"))
        os.chmod(self.prefix, 0o755)  # workers may run as nobody  # noqa: S103
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> str:
        template = (HERE / "nginx.conf").read_text()
        for _ in range(5):
            self.port = free_port()
            conf = template.replace("{prefix}", str(self.prefix)).replace("{port}", str(self.port))
            (self.prefix / "nginx.conf").write_text(conf)
            self.proc = subprocess.Popen(  # noqa: S603
                [self.binary, "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            try:
                wait_for_port(self.port, timeout=5)
                return self.url
            except RuntimeError:
                _stop(self.proc)  # port taken meanwhile: try another
        log = (self.prefix / "error.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"nginx did not start:\n{log}")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            _stop(self.proc)
        shutil.rmtree(self.prefix, ignore_errors=True)


class LatencyServer:
    """``with LatencyServer(0.05) as url:`` bench/latency_server.py in a child process."""

    def __init__(self, delay: float = 0.05) -> None:
        self.delay = delay
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> str:
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, str(HERE / "latency_server.py"), "--delay", str(self.delay)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "PORT":
            _stop(self.proc)
            raise RuntimeError("the latency server did not start")
        self.port = int(line[1])
        wait_for_port(self.port)
        return self.url

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            _stop(self.proc)
            if self.proc.stdout is not None:
                self.proc.stdout.close()

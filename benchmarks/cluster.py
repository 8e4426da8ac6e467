"""The lab as a department hosts it, on this machine: one process, or several behind Debian's nginx.

`cluster(processes=2, proxy=True)` starts the lab processes on free ports and, in front of them,
nginx running `deploy/nginx.conf` itself with only its upstream servers and listening port swapped
for local ones. It yields a `Cluster`: the URL students open, and the lab processes, whose CPU time
and memory are read from /proc.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from .serving import REPO, free_port, running, wait_for_log

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NGINX_CONF = REPO / "deploy" / "nginx.conf"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class LabProcess:
    process: subprocess.Popen
    url: str
    log: Path
    pools_seen: int = 0  # how many times its log has said its warm sessions were ready

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def memory(self) -> int:
        """Resident memory in bytes."""
        return int(Path(f"/proc/{self.process.pid}/statm").read_text().split()[1]) * PAGE_SIZE

    def read_log(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Cluster:
    url: str  # what students open: nginx's address, or the single process's
    labs: list[LabProcess]

    def cpu_seconds(self) -> float:
        return sum(lab.cpu_seconds() for lab in self.labs)

    def memory(self) -> int:
        return sum(lab.memory() for lab in self.labs)

    def wait_for_warm_sessions(self, timeout: float = 600.0) -> None:
        """Until every lab process has its pool of warm sessions full again (it says so in its log)."""
        for lab in self.labs:
            lab.pools_seen += 1
            wait_for_log(lab.read_log, "warm sessions: ", lab.pools_seen, timeout)


def nginx_config(upstreams: list[str], port: int) -> str:
    """deploy/nginx.conf with local upstream servers and port; everything else exactly as deployed."""
    text = NGINX_CONF.read_text()
    servers = "".join(f"        server {address};\n" for address in upstreams)
    text, swapped = re.subn(r"(upstream newton_lab \{\n(?:\s*hash [^\n]*\n))(?:\s*server [^\n]*\n)+",
                            lambda match: match.group(1) + servers, text)
    text, listening = re.subn(r"listen 80;", f"listen 127.0.0.1:{port};", text)
    if swapped != 1 or listening != 1:
        raise RuntimeError(f"{NGINX_CONF} no longer has the upstream block and listen line this expects")
    return text.replace("include /etc/nginx/mime.types;", "include /etc/nginx/mime.types;\n    access_log off;")


@contextmanager
def cluster(processes: int = 1, proxy: bool = False, unused_session_lifetime: float = 15.0, warm_sessions: int = 0):
    """Start `processes` lab processes, behind nginx when `proxy`, each keeping `warm_sessions` sessions
    built in advance; yields a Cluster."""
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="newton-lab-cluster-")))
        front_port = free_port()
        ports = [free_port() for _ in range(processes)]
        origin = f"localhost:{front_port}" if proxy else None
        labs = []
        for index, port in enumerate(ports):
            url = f"http://localhost:{port}/"
            log = directory / f"lab{index}.log"
            environment = {"NEWTON_LAB_UNUSED_SESSION_LIFETIME": str(unused_session_lifetime),
                           "NEWTON_LAB_WARM_SESSIONS": str(warm_sessions)}
            if origin:
                environment["NEWTON_LAB_ALLOWED_ORIGINS"] = origin
            process = stack.enter_context(running([sys.executable, "-m", "app.serve", "--port", str(port)],
                                                  log, url + "liveness", environment))
            labs.append(LabProcess(process, url, log))
        if not proxy:
            yield Cluster(labs[0].url, labs)
            return
        (directory / "logs").mkdir()
        config = directory / "nginx.conf"
        config.write_text(nginx_config([f"127.0.0.1:{port}" for port in ports], front_port))
        url = f"http://localhost:{front_port}/"
        stack.enter_context(running(
            [NGINX, "-p", str(directory), "-c", str(config), "-g", f"daemon off; pid {directory}/nginx.pid; "
             f"error_log {directory}/logs/error.log;"], directory / "nginx.out", url + "liveness"))
        yield Cluster(url, labs)

"""The rest of a first build, run beside the server (`papersearch serve --build`, what `make serve` runs).

A full build of both sources takes many minutes on a 2-core CPU; its first quick stage (keyword search,
`build_index(quick=True)`, indexer.pipeline.fields.QUICK_STAGES) is searchable in about a minute. The server
serves it at once and this module runs `papersearch index --staged` in a child process: it publishes the title
vectors, then embeds what the stages left out; each generation is published atomically and the server's
reload poller swaps it in. The child writes its progress file
(indexer.storage.progress), which /healthz and the page read; it is stopped with the server (Ctrl-C), cleanly,
and the next `make serve` resumes from what is already published.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

from indexer.storage.layout import DataDir
from indexer.storage.manifest import Manifest
from papersearch.cli_common import err
from papersearch.settings import Settings

LOG_FILE = "build.log"
NICENESS = 5      # searches stay responsive on 2 cores; an idle CPU still runs the build at full speed
STOP_WAIT_S = 20


def pending(data_dir: Path) -> list[str]:
    """What the served generation still lacks (a quick first pass); empty when complete or absent."""
    gen = DataDir(data_dir).current()
    if gen is None:
        return []
    try:
        return Manifest.load(gen.manifest).pending
    except (OSError, ValueError):
        return []


def start(s: Settings) -> subprocess.Popen:
    """`papersearch index` for the settings' data dir in a child process, its output in `<data_dir>/build.log`."""
    log_path = Path(s.data_dir) / LOG_FILE
    log = open(log_path, "ab")  # noqa: SIM115 - the child writes it; closed when the child ends (_report)
    nice = [tool, "-n", str(NICENESS)] if (tool := shutil.which("nice")) else []   # not preexec_fn: we hold threads
    child = subprocess.Popen(
        [*nice, sys.executable, "-m", "papersearch.cli", "index", "--staged", "--json", "--data-dir", str(s.data_dir)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=os.environ.copy(),
    )
    err.print(f"building the rest of the index beside the server (pid {child.pid}, log {log_path}); "
              "/healthz and the page say how far it is", highlight=False)
    threading.Thread(target=_report, args=(child, log, log_path), daemon=True).start()
    return child


def _report(child: subprocess.Popen, log, log_path: Path) -> None:
    code = child.wait()
    log.close()
    if code == 0:
        err.print("the full index is built: the server swaps it in within seconds", highlight=False)
    elif code not in (-signal.SIGINT, 130, -signal.SIGKILL):   # stopped with the server (killed if it hung)
        err.print(f"[yellow]the index build failed[/yellow] (exit {code}); see {log_path}; "
                  "the quick index stays served", highlight=False)


def stop(child: subprocess.Popen | None) -> None:
    """Interrupt the build as Ctrl-C would (its unfinished generation is removed); kill it if it hangs."""
    if child is None or child.poll() is not None:
        return
    child.send_signal(signal.SIGINT)
    try:
        child.wait(STOP_WAIT_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()

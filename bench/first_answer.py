"""How soon a first `make serve` answers searches, and when it has the whole index.

    python bench/first_answer.py [--skip-baseline] [--until first|titles|complete] [--json]

Each row starts from an empty data dir on the default corpus (the digest, the seeds and the bundled feed),
as a new user's first `make serve` does, with the process start, imports and model load counted:
  serve --build            what `make serve` runs: keyword search first (a quick pass, served at once),
                           then the title vectors, then the rest, built beside the server and swapped in
  index, then serve        the release before: `papersearch index`, then `papersearch serve` (the baseline)
Columns: seconds until `/api/search` first answers with results; until /healthz says the index is complete
(the learned ranker, abstracts, English views and topics live); the ratios to the baseline. The rest-build's
stages come from its log (`<data_dir>/build.log`). The CPU and the encoder head the table.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.build_speed import cpu_description  # noqa: E402
from bench.checkout import pin_defaults_to_checkout  # noqa: E402

pin_defaults_to_checkout()

QUERY = "long context KV cache 압축"
TIMEOUT_S = 3600


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "papersearch.cli", *args]


def _poll(base: str, proc: subprocess.Popen, t0: float, until) -> float:
    while time.perf_counter() - t0 < TIMEOUT_S:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode})")
        try:
            if until(base):
                return time.perf_counter() - t0
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"not reached in {TIMEOUT_S} s")


def _answers(base: str) -> bool:
    r = httpx.get(base + "/api/search", params={"q": QUERY}, timeout=30)
    return r.status_code == 200 and bool(r.json()["results"])


def _complete(base: str) -> bool:
    h = httpx.get(base + "/healthz", timeout=10).json()
    return h["index_loaded"] and h["complete"] and h["current"] == h["generation"]


def _titles(base: str) -> bool:
    h = httpx.get(base + "/healthz", timeout=10).json()
    return h["index_loaded"] and "dense" in h["rankers_live"]


def run(kind: str, data: Path, log: Path, until: str = "complete") -> dict:
    port = _port()
    env = {**os.environ, "PAPERSEARCH_DATA_DIR": str(data), "PAPERSEARCH_PORT": str(port),
           "PAPERSEARCH_RELOAD_INTERVAL": "0.5"}
    base = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    with open(log, "w") as out:
        if kind == "baseline":
            subprocess.run(_cli("index", "--json"), env=env, stdout=out, stderr=subprocess.DEVNULL, check=True)
            proc = subprocess.Popen(_cli("serve"), env=env, stdout=out, stderr=subprocess.STDOUT)
        else:
            proc = subprocess.Popen(_cli("serve", "--build"), env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            first = _poll(base, proc, t0, _answers)
            first_rankers = httpx.get(base + "/healthz", timeout=10).json()["rankers_live"]
            titles = _poll(base, proc, t0, _titles) if until != "first" else None
            complete = _poll(base, proc, t0, _complete) if until == "complete" else None
            healthz = httpx.get(base + "/healthz", timeout=10).json()
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=120)
    row = {"row": "serve --build" if kind == "build" else "index, then serve", "first_answer_s": round(first, 1),
           "titles_s": titles and round(titles, 1), "complete_s": complete and round(complete, 1),
           "papers": healthz["papers"], "rankers_at_first": first_rankers}
    text = (data / "build.log").read_text() if (data / "build.log").exists() else log.read_text()
    if "\n{" in text or text.startswith("{"):
        start = text.rindex("\n{") + 1 if "\n{" in text else 0
        result = json.JSONDecoder().raw_decode(text, start)[0]
        row["rest_stages"] = {k: v["seconds"] for k, v in result.get("stages", {}).items() if v["seconds"] >= 0.5}
        row["encoder"] = result.get("encoder")
    quick = [line for line in log.read_text().splitlines() if line.startswith("quick pass published")]
    if quick:
        row["quick_pass"] = quick[-1]
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-baseline", action="store_true", help="only the serve --build row")
    ap.add_argument("--until", choices=("first", "titles", "complete"), default="complete",
                    help="stop after the first answer, the title vectors or the complete index (default)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("build", *(() if a.skip_baseline else ("baseline",))):
            print(f"running {kind} ...", file=sys.stderr)
            rows.append(run(kind, Path(tmp) / kind, Path(tmp) / f"{kind}.log", a.until))
    base = rows[1] if len(rows) > 1 else None
    for r in rows:
        r["x_first"] = round(r["first_answer_s"] / base["first_answer_s"], 3) if base else None
        r["x_complete"] = round(r["complete_s"] / base["complete_s"], 3) if base and r["complete_s"] else None
    if a.json:
        print(json.dumps({"cpu": cpu_description(), "rows": rows}, indent=2))
        return 0
    print(f"CPU: {cpu_description()}; encoder {rows[0].get('encoder')}; query {QUERY!r}")
    print(f"{'row':<20}{'papers':>7}{'first answer s':>16}{'titles s':>10}{'complete s':>12}{'x first':>9}{'x complete':>12}")

    def num(v, fmt=".1f"):
        return format(v, fmt) if v else "-"

    for r in rows:
        print(f"{r['row']:<20}{r['papers']:>7}{num(r['first_answer_s']):>16}{num(r['titles_s']):>10}"
              f"{num(r['complete_s']):>12}{num(r['x_first'], '.2f'):>9}{num(r['x_complete'], '.2f'):>12}")
        print(f"  answering first with: {', '.join(r['rankers_at_first'])}")
    for r in rows:
        if r.get("quick_pass"):
            print(f"  {r['row']}: {r['quick_pass']}")
        if r.get("rest_stages"):
            print(f"  {r['row']}, the full build's stages: "
                  + " · ".join(f"{k} {v:.1f}s" for k, v in r["rest_stages"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

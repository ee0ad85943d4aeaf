"""`papersearch fetch`: download Hugging Face Daily Papers feed days into the writable feed folder, where the
next `papersearch index` reads them beside the bundled snapshot (indexer.ingest.feed).

Why the choices: a day is one `GET {base}/api/daily_papers?date=YYYY-MM-DD`, saved as the API answered it
(the reader already tolerates every fault the bundled snapshot shows), written atomically so an interrupted
fetch never leaves half a day for a build to trip on. 429 and 5xx, timeouts and cut-off bodies are retried
a bounded number of times with exponential backoff (a `Retry-After` header wins); a body that is not a list
is the API's own answer (an error object) and is not retried. An empty list is not saved, so a day fetched
before Hugging Face published it is fetched again next time. A host that cannot be reached at all (offline,
DNS, refused) stops the run with one line instead of failing every day in turn.

Days: weekdays only unless asked (the feed is published on weekdays; the API answers any date, with an empty
list or a handful of weekend papers). Without `--since`, the run starts the day after the newest day already
held in any feed folder of the corpus (the bundled snapshot counts; with `--refresh`, that newest day itself),
or a week back when none is; without `--until`, it ends today (UTC). Held days are skipped unless `--refresh`:
a day fetched again once it is over lists more papers and newer upvotes.
"""
from __future__ import annotations

import email.utils
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from indexer.ingest.atomic import write_atomic
from indexer.ingest.feed import DAY_FILE, feed_files

API_PATH = "/api/daily_papers"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
RETRIES = 4            # attempts after the first: 1 + 2 + 4 + 8 s of backoff at most, per day
BACKOFF = 1.0          # seconds before the first retry; doubled each time
MAX_WAIT = 60.0        # a Retry-After longer than this is capped
TIMEOUT = 30.0
USER_AGENT = "papersearch-fetch/0.1"
DEFAULT_BACK = 7       # days fetched when no feed day is held yet


class FetchError(RuntimeError):
    """The host cannot be reached at all; the days saved so far stay saved."""


@dataclass
class DayResult:
    day: str
    status: str                  # fetched | empty | failed
    papers: int = 0
    attempts: int = 0
    error: str = ""


@dataclass
class FetchReport:
    since: str
    until: str
    feed_dir: str
    held: int = 0                # days in range skipped because a feed folder holds them (no --refresh)
    days: list[DayResult] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for d in self.days if d.status == status)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(fetched=self.count("fetched"), empty=self.count("empty"), failed=self.count("failed"),
                 papers=sum(r.papers for r in self.days))
        return d


class _Retry(Exception):
    """A transient failure of one attempt; `wait` is the server's Retry-After, if it gave one."""

    def __init__(self, why: str, wait: float | None = None):
        super().__init__(why)
        self.wait = wait


class _Failed(Exception):
    """A definitive answer that is not a day: not retried."""


def held_days(folders: Iterable[Path]) -> set[str]:
    """Days (ISO) held as `YYYY-MM-DD.json` in any of these feed folders."""
    out: set[str] = set()
    for folder in folders:
        if Path(folder).is_dir():
            out |= {m.group(1) for f in feed_files(Path(folder)) if (m := DAY_FILE.match(f.name))}
    return out


def plan_days(since: date | None, until: date | None, held: set[str], refresh: bool = False,
              weekends: bool = False, today: date | None = None) -> tuple[date, date, list[date], int]:
    """(since, until, days to fetch, held days skipped) for a run (see the module docstring)."""
    today = today or _today()
    until = min(until or today, today)
    if since is None:  # after the newest day held; with --refresh that day too (often a morning snapshot)
        last = date.fromisoformat(max(held)) if held else None
        since = (last if refresh else last + timedelta(days=1)) if last else until - timedelta(days=DEFAULT_BACK)
    days, skipped = [], 0
    d = since
    while d <= until:
        if weekends or d.weekday() < 5:
            if refresh or d.isoformat() not in held:
                days.append(d)
            else:
                skipped += 1
        d += timedelta(days=1)
    return since, until, days, skipped


def fetch_feed(base_url: str, feed_dir: Path, also_held: Iterable[Path] = (), since: date | None = None,
               until: date | None = None, *, refresh: bool = False, weekends: bool = False,
               progress: bool = False, retries: int = RETRIES, backoff: float = BACKOFF,
               timeout: float = TIMEOUT) -> FetchReport:
    """Fetch the days missing from `feed_dir` and the other feed folders `also_held` (the bundled snapshot)."""
    started = time.perf_counter()
    held = held_days([feed_dir, *also_held])
    since, until, days, skipped = plan_days(since, until, held, refresh, weekends)
    report = FetchReport(since.isoformat(), until.isoformat(), str(feed_dir), held=skipped)
    report.days = fetch_days(base_url, feed_dir, days, retries=retries, backoff=backoff, timeout=timeout,
                             progress=progress)
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def fetch_days(base_url: str, feed_dir: Path, days: list[date], *, retries: int = RETRIES,
               backoff: float = BACKOFF, timeout: float = TIMEOUT, progress: bool = False) -> list[DayResult]:
    """Download each day into `feed_dir`; raises FetchError when the host cannot be reached."""
    feed_dir.mkdir(parents=True, exist_ok=True)
    results: list[DayResult] = []
    bar = _bar(days, progress)
    for d in bar:
        try:
            r = fetch_day(base_url, d, feed_dir, retries=retries, backoff=backoff, timeout=timeout)
        except FetchError as exc:
            if progress:  # the error is the one line left on the terminal
                bar.leave = False
                bar.close()
            saved = sum(1 for x in results if x.status == "fetched")
            raise FetchError(f"{exc}; {saved} of {len(days)} day(s) saved") from None
        results.append(r)
        if progress:
            bar.set_postfix_str(f"{d.isoformat()} {r.status}" + (f" ({r.papers})" if r.papers else ""))
    return results


def fetch_day(base_url: str, day: date, feed_dir: Path, *, retries: int = RETRIES, backoff: float = BACKOFF,
              timeout: float = TIMEOUT) -> DayResult:
    """One day: GET, retry what is transient, save a non-empty list atomically."""
    url = f"{base_url.rstrip('/')}{API_PATH}?{urllib.parse.urlencode({'date': day.isoformat()})}"
    result = DayResult(day.isoformat(), "failed")
    for attempt in range(retries + 1):
        result.attempts = attempt + 1
        try:
            text, papers = _get_day(url, timeout)
        except _Retry as exc:
            result.error = str(exc)
            if attempt < retries:
                time.sleep(min(exc.wait if exc.wait is not None else backoff * 2 ** attempt, MAX_WAIT))
            continue
        except _Failed as exc:
            result.error = str(exc)
            return result
        result.error, result.papers = "", papers
        if papers == 0:
            result.status = "empty"
            return result
        write_atomic(feed_dir / f"{day.isoformat()}.json", text)
        result.status = "fetched"
        return result
    result.error = f"gave up after {result.attempts} attempts: {result.error}"
    return result


def _get_day(url: str, timeout: float) -> tuple[str, int]:
    """(body, number of papers) of one attempt; _Retry, _Failed or FetchError otherwise."""
    req = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        if exc.code in RETRY_STATUS:
            raise _Retry(f"HTTP {exc.code}", _retry_after(exc.headers.get("Retry-After"))) from None
        raise _Failed(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:  # no connection at all (DNS, refused, connect timeout): not per day
        host = urllib.parse.urlsplit(url).netloc
        raise FetchError(f"cannot reach {host} ({_reason(exc.reason)}) - offline, or the host is down") from None
    except (http.client.IncompleteRead, http.client.RemoteDisconnected, ConnectionError, TimeoutError) as exc:
        raise _Retry(f"connection cut mid-answer ({type(exc).__name__})") from None
    try:
        text = raw.decode("utf-8")
        doc = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise _Retry(f"truncated or invalid JSON ({len(raw)} bytes)") from None
    if not isinstance(doc, list):
        shown = json.dumps(doc, ensure_ascii=False)[:80]
        raise _Failed(f"the answer is not a list of papers: {shown}")
    return text, len(doc)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _reason(reason: object) -> str:
    text = getattr(reason, "strerror", None) or str(reason)
    return " ".join(str(text).split())[:120]


def _today() -> date:
    return datetime.now(UTC).date()


def _bar(days: list[date], progress: bool):
    if not progress:
        return days
    from tqdm import tqdm

    return tqdm(days, desc="fetching feed days", unit="day", delay=1.0)  # an offline run is just its error line

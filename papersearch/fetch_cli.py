"""`papersearch fetch`: the Hugging Face Daily Papers feed days (English abstracts) missing from the feed
folder, downloaded for the next `papersearch index` (indexer.ingest.fetch)."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from indexer.ingest.feed import is_feed_path
from indexer.ingest.fetch import FetchError, FetchReport, fetch_feed
from papersearch.cli_common import UserError, console, friendly_errors, make_settings, print_json, print_kv_table


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{name} must be a date like 2025-04-18, got {value!r}") from None


def register(app: typer.Typer) -> None:
    @app.command()
    def fetch(
        since: Annotated[str | None, typer.Option(
            help="first day (YYYY-MM-DD); default: the day after the newest day held (with --refresh: that day), "
                 "or a week back")] = None,
        until: Annotated[str | None, typer.Option(help="last day (YYYY-MM-DD); default: today (UTC)")] = None,
        refresh: Annotated[bool, typer.Option(
            help="download days already held again (a finished day lists more papers, newer upvotes)")] = False,
        weekends: Annotated[bool, typer.Option(help="also ask for Saturdays and Sundays")] = False,
        data_dir: Annotated[Path | None, typer.Option(
            "--data-dir", help="Index directory; the feed folder defaults to <data-dir>/feed")] = None,
        feed_dir: Annotated[Path | None, typer.Option(
            "--feed-dir", help="Where the days are written [env PAPERSEARCH_FEED_DIR]")] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table")] = False,
    ) -> None:
        """Download Hugging Face Daily Papers feed days into the feed folder; `papersearch index` then reads them."""
        with friendly_errors((FetchError,)):
            s = make_settings(data_dir=data_dir, feed_dir=feed_dir)
            first, last = _day(since, "--since"), _day(until, "--until")
            if first and last and first > last:
                raise UserError(f"--since {first} is after --until {last}")
            bundled = [c for c in s.corpus if c != s.feed_dir and c.is_dir() and is_feed_path(c)]
            report = fetch_feed(s.feed_url, s.feed_dir, bundled, first, last, refresh=refresh, weekends=weekends,
                                progress=not json_out)
        if json_out:
            print_json(report.to_dict())
        else:
            _print(report)
        raise typer.Exit(1 if report.count("failed") else 0)


def _print(r: FetchReport) -> None:
    d = r.to_dict()
    print_kv_table("feed fetched", [
        ("days", f"{r.since} .. {r.until}"), ("feed folder", r.feed_dir),
        ("fetched / empty / failed", f"{d['fetched']} / {d['empty']} / {d['failed']}"),
        ("already held (skipped)", r.held), ("papers in fetched days", d["papers"]), ("seconds", r.seconds),
    ])
    for day in r.days:
        if day.status == "failed":
            console.print(f"[red]failed[/red] {day.day}: {escape(day.error)}", highlight=False)
    if d["fetched"]:
        console.print("next: `papersearch index` reads the new days", highlight=False)

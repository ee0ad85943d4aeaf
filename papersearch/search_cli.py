"""`papersearch search` and `papersearch similar`, single and batch (JSONL) forms; `--format` writes the
results as BibTeX, CSV or JSON Lines (as the API's `format=`)."""
from __future__ import annotations

import html
import json
import re
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from indexer.reading.reader import IndexMissingError
from indexer.storage.manifest import ModelMismatchError
from papersearch.cli_common import UserError, console, friendly_errors, make_settings, print_json
from search.engine import SearchEngine
from search.filters import FilterError, Filters
from search.follow.export import EXPORTS, export
from search.limits import NotFoundError, QueryError, valid_text
from search.rankers.query import METHODS
from search.rankers.similar import SIMILAR_METHODS
from search.schemas import RankMode, SearchResponse

ERRORS = (IndexMissingError, ModelMismatchError, NotFoundError, QueryError, FilterError)
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="Index directory [env PAPERSEARCH_DATA_DIR]")]


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise UserError(f"{name} must be a date like 2024-04-19, got {value!r}") from None


def _read_jsonl(path: Path, key: str) -> list[tuple[object, str | None, str | None]]:
    """(id, value, error) per non-empty line: a malformed line gets its own error, the rest are still answered."""
    if not path.is_file():
        raise UserError(f"{path} does not exist")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UserError(f"{path}: {exc}") from None
    out: list[tuple[object, str | None, str | None]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict) or not isinstance(obj.get(key), str):
                raise ValueError
            ident = obj.get("id", n)
            out.append((ident if isinstance(ident, (str, int, float)) else n, obj[key], None))
        except (ValueError, RecursionError):
            out.append((n, None, f"line {n}: expected a JSON object with a string {key!r}"))
    return out


def _print_table(resp: SearchResponse) -> None:
    for n in resp.notices:
        console.print(f"[yellow]note:[/yellow] {escape(n)}", highlight=False)
    if resp.expanded_terms:
        terms = ", ".join(f"{t} ({w:.2f})" for t, w in resp.expanded_terms.items())
        console.print(f"[dim]also matched, from the corpus lexicon:[/dim] {escape(terms)}", highlight=False)
    head = f"similar to {', '.join(resp.similar_to)}" if resp.similar_to else f"“{escape(resp.query)}”"
    table = Table(title=f"{head} — {len(resp.results)} of {resp.total} papers ({resp.mode.value})", show_lines=True)
    for col in ("#", "score", "arXiv", "date", "votes", "title / summary"):
        table.add_column(col, overflow="fold")
    for i, r in enumerate(resp.results, 1):
        snippet = re.sub(r"<mark>(.*?)</mark>", r"[bold yellow]\1[/bold yellow]", escape(html.unescape(r.snippet)))
        flag = " [red](summary suspect)[/red]" if r.summary_suspect else ""
        table.add_row(str(i), f"{r.score:.3f}", r.arxiv_id, r.dates[-1] if r.dates else "", str(r.votes or ""),
                      f"[bold]{escape(r.title)}[/bold]{flag}\n{snippet}")
    console.print(table)


def _emit(resp: SearchResponse, json_out: bool, fmt: str | None = None) -> None:
    if fmt is not None:
        sys.stdout.write(export(resp.results, fmt))
    elif json_out:
        print_json(resp.model_dump(mode="json"))
    else:
        _print_table(resp)


FormatOpt = Annotated[str | None, typer.Option(
    "--format", help="write the results as bibtex | csv | jsonl (e.g. `> refs.bib`) instead of a table")]


def _check_format(fmt: str | None, batch: bool) -> None:
    if fmt is None:
        return
    if fmt not in EXPORTS:
        raise UserError(f"--format must be one of {', '.join(EXPORTS)}, got {fmt!r}")
    if batch:
        raise UserError("--format exports one result list; the batch forms print JSON lines")


def _batch(items, run) -> None:
    for ident, value, problem in items:
        if problem is not None:
            line = {"id": ident, "error": problem, "results": []}
        else:
            try:
                res = run(value)
                line = {"id": ident, "results": [r.model_dump(mode="json") for r in res.results]}
            except (NotFoundError, QueryError, FilterError) as exc:
                line = {"id": ident, "error": valid_text(str(exc)), "results": []}
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")


def register(app: typer.Typer) -> None:
    @app.command()
    def search(
        query: Annotated[str | None, typer.Argument(help="Korean, English or mixed; an arXiv id/URL means 'similar to'")] = None,
        k: Annotated[int, typer.Option("--k", help="results (1-100)")] = 10,
        date_from: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
        date_to: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
        min_votes: Annotated[int | None, typer.Option(help="minimum votes")] = None,
        author: Annotated[str | None, typer.Option(help="author name substring")] = None,
        cluster: Annotated[int | None, typer.Option(help="topic cluster id (see /api/clusters)")] = None,
        mode: Annotated[RankMode, typer.Option(help="rank mode")] = RankMode.relevance,
        method: Annotated[str | None, typer.Option(
            help="learned | hybrid | dense | lexical (default: learned where its weights ship, else hybrid)")] = None,
        queries_file: Annotated[Path | None, typer.Option(help='JSONL of {"id":..,"query":..}; prints JSONL')] = None,
        data_dir: DataDirOpt = None,
        json_out: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
        fmt: FormatOpt = None,
    ) -> None:
        """Search papers (hybrid dense + BM25, cross-lingual)."""
        with friendly_errors(ERRORS):
            if method is not None and method not in METHODS:
                raise UserError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
            if (query is None) == (queries_file is None):
                raise UserError("give a query or --queries-file (not both)")
            _check_format(fmt, queries_file is not None)
            f = Filters(_date(date_from, "--date-from"), _date(date_to, "--date-to"), min_votes, author, cluster)
            items = _read_jsonl(queries_file, "query") if queries_file else None
            if query is not None:
                SearchEngine.check(query, k)  # fail fast, before loading the model
            engine = SearchEngine.open(make_settings(data_dir=data_dir))
            run = lambda q: engine.search(q, k=k, filters=f, mode=mode, method=method)  # noqa: E731
            if items is not None:
                _batch(items, run)
            else:
                _emit(run(query), json_out, fmt)

    @app.command()
    def similar(
        arxiv_id: Annotated[str | None, typer.Argument(help="arXiv id or arxiv.org URL")] = None,
        k: Annotated[int, typer.Option("--k", help="results (1-100)")] = 10,
        ids_file: Annotated[Path | None, typer.Option(help='JSONL of {"id":..,"arxiv_id":..}; prints JSONL')] = None,
        method: Annotated[str | None, typer.Option(
            help="learned | dense | lexical (default: learned where its weights ship, else dense)")] = None,
        mode: Annotated[RankMode, typer.Option(
            help="votes / recency: the relevant head re-sorted, as search does; blend")] = RankMode.relevance,
        data_dir: DataDirOpt = None,
        json_out: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
        fmt: FormatOpt = None,
    ) -> None:
        """Papers closest to a given paper (itself excluded)."""
        with friendly_errors(ERRORS):
            if (arxiv_id is None) == (ids_file is None):
                raise UserError("give an arXiv id or --ids-file (not both)")
            _check_format(fmt, ids_file is not None)
            if method is not None and method not in SIMILAR_METHODS:
                raise UserError(f"--method must be one of {', '.join(SIMILAR_METHODS)}, got {method!r}")
            items = _read_jsonl(ids_file, "arxiv_id") if ids_file else None
            engine = SearchEngine.open(make_settings(data_dir=data_dir))
            if items is not None:
                _batch(items, lambda a: engine.similar(a, k=k, method=method, mode=mode))
            else:
                _emit(engine.similar(arxiv_id, k=k, method=method, mode=mode), json_out, fmt)

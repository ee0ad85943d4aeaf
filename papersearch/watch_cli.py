"""`papersearch watch add | list | rm | run`: saved searches (watches) from the command line, and the catch-up
that `index` runs after it publishes.

Watches live in `<data dir>/watches.sqlite`, beside the index generations (search.follow.store). A cron line
`papersearch index && papersearch watch run` builds the new day and prints what each watch gained; the
server's feeds show the same matches. The creation-rate cap guards the open API: the CLI is the operator
(it holds the data dir) and is only bound by the total cap.
"""
from __future__ import annotations

import dataclasses
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from papersearch.cli_common import UserError, console, friendly_errors, make_settings, print_json
from papersearch.search_cli import ERRORS, DataDirOpt
from papersearch.settings import Settings
from search.engine import SearchEngine
from search.follow.catchup import CatchUp, EngineSource, catch_up, create_watch
from search.follow.limits import TooManyWatches, WatchCaps
from search.follow.models import InvalidWatch, Match, Watch, parse_request
from search.follow.store import WATCHES_FILE, WatchStore

FLAGS = {"query": "QUERY", "positive": "--like", "negative": "--unlike", "author": "--author",
         "date_from": "--date-from", "date_to": "--date-to", "min_votes": "--min-votes", "cluster": "--cluster",
         "method": "--method", "name": "--name"}
WATCH_ERRORS = (*ERRORS, InvalidWatch, TooManyWatches)
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON output (the API's field names)")]

watch_app = typer.Typer(no_args_is_help=True, add_completion=False,
                        help="Saved searches with Atom feeds: follow a query, papers like some papers, or an author.")


def base_url(s: Settings) -> str:
    """Where the feeds are served: PAPERSEARCH_PUBLIC_BASE_URL, else the server's own address."""
    return s.public_base_url or f"http://{s.host}:{s.port}"


def open_store(s: Settings, create: bool = True) -> WatchStore | None:
    """The watch store; None when none exists yet and `create` is off (listing must not create one)."""
    if not create and not (s.data_dir / WATCHES_FILE).exists():
        return None
    caps = dataclasses.replace(WatchCaps.from_settings(s), per_window=sys.maxsize)
    return WatchStore.in_data_dir(s.data_dir, caps)


def _spec_from_flags(body: dict):
    try:
        return parse_request({k: v for k, v in body.items() if v not in (None, [])})
    except InvalidWatch as exc:
        flag = FLAGS.get(exc.field, exc.field)
        if "Extra inputs" in exc.message:
            raise UserError(f"{flag} does not go with this kind of watch (a query takes the filters, --like takes "
                            "--unlike and --method, --author alone follows an author)") from None
        raise UserError(f"{flag}: {exc.message}") from None


def catch_up_after_build(s: Settings) -> CatchUp | None:
    """Match the watches against what the newly published generation added (nothing to do without watches).
    Idempotent: a build killed before this ran is caught up by the next `index`, `watch run` or server load."""
    store = open_store(s, create=False)
    if store is None or store.count() == 0:
        return None
    engine = SearchEngine.open(s)
    try:
        return catch_up(EngineSource(engine), store)
    finally:
        engine.close()


def _matches_json(engine: SearchEngine, matches: list[Match], base: str) -> list[dict]:
    from api.views import match_out  # one set of field names with the API (imported late: FastAPI is heavy)

    return [match_out(engine.paper(m.arxiv_id), m, base).model_dump(mode="json") for m in matches
            if m.arxiv_id in engine.pos_of]


def _watch_json(w: Watch, base: str) -> dict:
    from api.views import watch_out

    return watch_out(w, base).model_dump(mode="json")


def _print_matches(engine: SearchEngine, matches: list[Match]) -> None:
    for m in matches:
        if m.arxiv_id in engine.pos_of:
            p = engine.paper(m.arxiv_id)
            console.print(f"  {p.arxiv_id}  {p.first_seen or '':10}  {escape(p.title)}", highlight=False)


@watch_app.command("add")
def add(
    query: Annotated[str | None, typer.Argument(help="follow a search (Korean, English or mixed)")] = None,
    like: Annotated[list[str] | None, typer.Option("--like", help="follow papers like this one (repeat)")] = None,
    unlike: Annotated[list[str] | None, typer.Option("--unlike", help="... and unlike this one (repeat)")] = None,
    author: Annotated[str | None, typer.Option(help="alone: follow an author; with a query: its author filter")]
    = None,
    date_from: Annotated[str | None, typer.Option(help="YYYY-MM-DD (query watches)")] = None,
    date_to: Annotated[str | None, typer.Option(help="YYYY-MM-DD (query watches)")] = None,
    min_votes: Annotated[int | None, typer.Option(help="minimum votes (query watches)")] = None,
    cluster: Annotated[int | None, typer.Option(help="topic id (query watches)")] = None,
    method: Annotated[str | None, typer.Option(help="ranker (default: learned where its weights ship)")] = None,
    name: Annotated[str | None, typer.Option(help="the feed's title (default: from the watch)")] = None,
    data_dir: DataDirOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Save a watch; its feed starts with the matches of the last 14 days of the index."""
    with friendly_errors(WATCH_ERRORS):
        spec, name = _spec_from_flags({"name": name, "query": query, "positive": like, "negative": unlike,
                                       "author": author, "date_from": date_from, "date_to": date_to,
                                       "min_votes": min_votes, "cluster": cluster, "method": method})
        s = make_settings(data_dir=data_dir)
        engine = SearchEngine.open(s)
        try:
            watch, matches = create_watch(EngineSource(engine), open_store(s), spec, name)
        except InvalidWatch as exc:
            raise UserError(f"{FLAGS.get(exc.field, exc.field)}: {exc.message}") from None
        if json_out:
            print_json({**_watch_json(watch, base_url(s)), "backfilled": len(matches)})
            return
        console.print(f"watching [bold]{escape(watch.name)}[/bold] ({watch.kind}) as {watch.id}", highlight=False)
        console.print(f"feed: {_watch_json(watch, base_url(s))['feed_url']}", highlight=False)
        n = len(matches)
        console.print(f"{n} match{'' if n == 1 else 'es'} among the papers of the last 14 days", highlight=False)
        _print_matches(engine, matches)


@watch_app.command("list")
def list_(data_dir: DataDirOpt = None, json_out: JsonOpt = False) -> None:
    """Every watch, oldest first."""
    with friendly_errors(WATCH_ERRORS):
        s = make_settings(data_dir=data_dir)
        store = open_store(s, create=False)
        watches = store.watches() if store else []
        counts = {w.id: len(store.matches(w.id)) for w in watches} if store else {}
    if json_out:
        print_json([{**_watch_json(w, base_url(s)), "matches": counts[w.id]} for w in watches])
        return
    if not watches:
        console.print("no watches yet: `papersearch watch add \"a query\"` (or --like ID, --author NAME)")
        return
    table = Table(title=f"{len(watches)} watches")
    table.add_column("id", no_wrap=True)  # copied into `watch rm` and feed URLs: never folded
    for col in ("kind", "name", "matches", "created"):
        table.add_column(col, overflow="fold")
    for w in watches:
        table.add_row(w.id, w.kind, escape(w.name), str(counts[w.id]), w.created.strftime("%Y-%m-%d %H:%M"))
    console.print(table)


@watch_app.command("rm")
def rm(watch_id: Annotated[str, typer.Argument(help="the watch's id (`watch list`)")], data_dir: DataDirOpt = None) -> None:
    """Delete a watch and its matches (its feed answers 404 from now on)."""
    with friendly_errors(WATCH_ERRORS):
        store = open_store(make_settings(data_dir=data_dir), create=False)
        if store is None or not store.delete(watch_id):
            raise UserError(f"no watch {watch_id!r} (see `papersearch watch list`)")
    console.print(f"deleted watch {escape(watch_id)}", highlight=False)


@watch_app.command("run")
def run(data_dir: DataDirOpt = None, json_out: JsonOpt = False) -> None:
    """Catch every watch up with the served index, then print each watch's new matches: those of the served
    generation, whoever matched them (this run, `index` after publishing, or a server loading it)."""
    with friendly_errors(WATCH_ERRORS):
        s = make_settings(data_dir=data_dir)
        store = open_store(s, create=False)
        if store is None or store.count() == 0:
            raise UserError("no watches yet: add one with `papersearch watch add`")
        engine = SearchEngine.open(s)
        report = catch_up(EngineSource(engine), store)
        watches = store.watches()
        new = {w.id: [m for m in store.matches(w.id) if m.generation == engine.generation] for w in watches}
    base, names = base_url(s), {w.id: w.name for w in watches}
    if json_out:
        print_json({"generation": engine.generation, "arrived": report.arrived, "problems": report.problems,
                    "watches": [{**_watch_json(w, base), "new": _matches_json(engine, new[w.id], base)}
                                for w in watches if new[w.id]]})
        return
    hits = {wid: ms for wid, ms in new.items() if ms}
    console.print(f"generation {engine.generation}: {sum(map(len, hits.values()))} new matches for {len(hits)} of "
                  f"{len(watches)} watches", highlight=False)
    for wid, ms in hits.items():
        console.print(f"[bold]{escape(names[wid])}[/bold] ({wid}): {len(ms)} new", highlight=False)
        _print_matches(engine, ms)
    for wid, problem in report.problems.items():
        console.print(f"[red]{escape(names.get(wid, wid))}[/red]: {escape(problem)}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(watch_app, name="watch")

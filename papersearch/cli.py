"""`papersearch` command line: index, verify, stats, show (search and watch commands register here too)."""
from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.markup import escape

from indexer.ingest.ids import normalize_arxiv_id
from indexer.pipeline.build import DiskFullError, EmptyCorpusError, build_index
from indexer.reading.reader import IndexMissingError, open_index
from indexer.reading.stats import index_stats
from indexer.reading.verify import verify as verify_index
from indexer.storage.layout import BuildLockedError, DataDir
from indexer.storage.manifest import ModelMismatchError
from indexer.storage.store import StoreError
from models.interface import ModelError
from models.loading import embedder_for
from papersearch import build_beside
from papersearch.cli_common import (
    UserError,
    console,
    err,
    existing_path,
    friendly_errors,
    make_settings,
    print_json,
    print_kv_table,
)
from papersearch.settings import Settings

# uvicorn closes idle keep-alive connections after 5 s by default; a client reusing one at that moment gets a
# reset (chaos bench: 1-2 ReadErrors in ~20,000 requests while builds slowed the server); idle clients are cheap
KEEP_ALIVE_S = 65

KNOWN_ERRORS = (EmptyCorpusError, ModelMismatchError, IndexMissingError, BuildLockedError, StoreError, DiskFullError,
                ModelError)



def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Cross-lingual search over Korean daily-papers digests and the Hugging Face Daily Papers feed.")

CorpusOpt = Annotated[
    list[Path] | None,
    typer.Option("--corpus", help="Digest directory or file, or feed folder (YYYY-MM-DD.json days) or .json day; "
                                  "repeat for several [env PAPERSEARCH_CORPUS]"),
]
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="Index directory [env PAPERSEARCH_DATA_DIR]")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table")]


@app.command()
def index(
    corpus: CorpusOpt = None,
    data_dir: DataDirOpt = None,
    model: Annotated[str | None, typer.Option(help="Model name or path [env PAPERSEARCH_MODEL]")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Encoding batch size")] = None,
    rebuild: Annotated[bool, typer.Option(help="Re-embed every paper (e.g. after changing the model)")] = False,
    prune: Annotated[bool, typer.Option(help="Drop indexed papers that are no longer in the corpus")] = False,
    cluster_method: Annotated[str | None, typer.Option(
        help="Topics: graph | kmeans | hdbscan [env PAPERSEARCH_CLUSTER_METHOD]")] = None,
    cluster_resolution: Annotated[float | None, typer.Option(
        help="Topics (graph): higher gives more, smaller topics [env PAPERSEARCH_CLUSTER_RESOLUTION]")] = None,
    quick: Annotated[bool, typer.Option(
        help="First build: publish its next stage only (no index: keyword search, under a minute; then the title "
             "vectors); a plain `papersearch index` adds the rest. On a complete index, builds as usual")] = False,
    staged: Annotated[bool, typer.Option(
        help="Publish every quick stage as it is done, then the rest (a first build searchable early)")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Parse the corpus and (incrementally) embed and index every paper."""
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops a build as cleanly as Ctrl-C
    with friendly_errors(KNOWN_ERRORS):
        for c in corpus or []:
            existing_path(c, "corpus")
        s = make_settings(corpus=corpus or None, data_dir=data_dir, model=model, batch_size=batch_size,
                          cluster_method=cluster_method, cluster_resolution=cluster_resolution)
        r = build_index(s, rebuild=rebuild, prune=prune, progress=not json_out, quick=quick or staged)
        while staged and r.pending:
            if json_out:
                print_json(r.to_dict())
            else:
                err.print(f"published generation {r.generation} in {r.seconds:.1f} s; still to come: "
                          f"{', '.join(r.pending)}", highlight=False)
            r = build_index(s, progress=not json_out, quick=True)
    from papersearch.watch_cli import catch_up_after_build  # the search side: after the build has published

    try:
        caught = catch_up_after_build(s)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/yellow] while matching watches: the new index is published; "
                  "`papersearch watch run` catches them up")
        raise SystemExit(130) from None
    except Exception as exc:  # noqa: BLE001 - the index is published; the watches wait for the next run
        caught = None
        err.print(f"[yellow]warning[/yellow] watches not caught up ({escape(str(exc))}); "
                  "`papersearch watch run` retries", highlight=False)
    watches = caught and {"arrived": caught.arrived, "new_matches": {w: len(m) for w, m in caught.matched.items()},
                          "problems": caught.problems}
    if json_out:
        print_json({**r.to_dict(), **({"watches": watches} if watches else {})})
        return
    ing = r.ingest
    print_kv_table("index built", [
        ("papers indexed", r.papers), ("embedded this run", r.embedded), ("new", r.new), ("changed", r.changed),
        ("unchanged (reused)", r.unchanged), ("pruned", r.pruned),
        ("files read / skipped", f"{ing.files_read} / {ing.files_skipped}"),
        ("entries / duplicates merged", f"{ing.entries} / {ing.duplicates_merged}"),
        ("sections skipped", ing.sections_skipped), ("parser warnings", len(ing.warnings)),
        ("feed days / items / items skipped", f"{ing.feed_files} / {ing.feed_items} / {ing.feed_items_skipped}"),
        ("with an abstract / only in the feed", f"{ing.with_abstract} / {ing.feed_only}"),
        ("texts encoded", " · ".join(f"{k} {v}" for k, v in r.encoded.items()) or "none"),
        ("model", r.model.get("name")), ("encoder", r.encoder),
        ("generation", r.generation), ("seconds", r.seconds),
        ("where the time went", " · ".join(f"{k} {v['seconds']:.1f}s" for k, v in r.stages.items()
                                           if v["seconds"] >= 0.1)),
        *([("watches", f"{sum(watches['new_matches'].values())} new matches for "
                       f"{sum(1 for n in watches['new_matches'].values() if n)} of {len(watches['new_matches'])} "
                       "watches (`papersearch watch run` lists them)")] if watches else []),
    ])
    for w in ing.warnings[:3]:
        console.print(f"[yellow]warning[/yellow] {w}", highlight=False)
    if len(ing.warnings) > 3:
        console.print(f"... and {len(ing.warnings) - 3} more parser warnings (all of them: --json)")


@app.command()
def verify(corpus: CorpusOpt = None, data_dir: DataDirOpt = None, json_out: JsonOpt = False) -> None:
    """Check index <-> store <-> manifest (<-> corpus) consistency; exit 1 on any problem."""
    with friendly_errors(KNOWN_ERRORS):
        for c in corpus or []:
            existing_path(c, "corpus")
        s = make_settings(corpus=corpus or None, data_dir=data_dir)
        # without --corpus: the corpus this index was built from (recorded in its manifest), not the default
        rep = verify_index(s.data_dir, s.corpus if corpus else None)
    if json_out:
        print_json(rep.to_dict())
    else:
        status = "[green]OK[/green]" if rep.ok else "[red]FAILED[/red]"
        console.print(f"verify {status}: generation {rep.generation}, {rep.papers} papers indexed"
                      + (f", {rep.corpus_papers} unique papers in the corpus" if rep.corpus_papers is not None else ""))
        if rep.corpus:
            console.print(f"  corpus: {', '.join(rep.corpus)}", highlight=False)
        for p in rep.problems:
            console.print(f"  [red]-[/red] {p}", highlight=False)
    raise typer.Exit(0 if rep.ok else 1)


@app.command()
def stats(data_dir: DataDirOpt = None, json_out: JsonOpt = False) -> None:
    """Size, date range, votes and model of the served index."""
    with friendly_errors(KNOWN_ERRORS):
        s = make_settings(data_dir=data_dir)
        st = index_stats(s.data_dir)
    if json_out:
        print_json(st)
    else:
        print_kv_table("papersearch index", [(k, v) for k, v in st.items()])


@app.command()
def show(
    arxiv_id: Annotated[str, typer.Argument(help="arXiv id, with or without version, or an arxiv.org URL")],
    data_dir: DataDirOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """One paper's full record."""
    with friendly_errors(KNOWN_ERRORS):
        s = make_settings(data_dir=data_dir)
        aid = normalize_arxiv_id(arxiv_id)
        if aid is None:
            raise UserError(f"{arxiv_id!r} is not an arXiv id or arxiv.org URL")
        idx = open_index(s.data_dir)
        try:
            paper = idx.store.get(aid)
            if paper is None:
                raise UserError(f"paper {aid} is not in the index")
            row = int(np.nonzero(idx.ids == idx.store.hashes()[aid][0])[0][0])
            check = idx.suspicion().verdict(row)
        finally:
            idx.close()
    d = {**paper.to_dict(), "agreement": check.agreement, "summary_suspect": check.flagged,
         "suspect_reason": check.reason, "abstract_agreement": check.abstract_agreement}
    if json_out:
        print_json(d)
        return
    console.print(f"[bold]{escape(paper.title)}[/bold]  ({paper.arxiv_url})", highlight=False)  # "[/INST]" is text
    console.print(escape(f"dates: {', '.join(paper.dates)}   votes: {paper.votes}   upvotes: {paper.upvotes}   "
                         f"source: {paper.source}"), highlight=False)
    console.print(escape(f"in: {' + '.join(paper.origins) or '-'}" + ("   fields from: " + ", ".join(
        f"{k} {v}" for k, v in paper.sources.items()) if paper.sources else "")), highlight=False)
    if check.flagged:
        console.print(f"[red]summary suspect[/red]: the Korean summary seems to describe another paper "
                      f"({check.reason})")
    console.print(escape("authors: " + ", ".join(paper.authors) + (" +" if paper.authors_truncated else "")), highlight=False)
    if not paper.summary:
        console.print("\n[yellow]no Korean summary yet[/yellow]: this paper is only in the Hugging Face feed")
    for key, text in paper.sections.items():
        console.print(f"\n[bold]{escape(key)}[/bold]\n{escape(text)}", highlight=False)
    if paper.abstract:
        console.print(f"\n[bold]abstract[/bold] (Hugging Face feed)\n{escape(paper.abstract)}", highlight=False)
    else:
        console.print("\n[yellow]no abstract in the feed[/yellow]")


@app.command()
def serve(
    data_dir: DataDirOpt = None,
    host: Annotated[str | None, typer.Option(help="bind address [env PAPERSEARCH_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="port [env PAPERSEARCH_PORT]")] = None,
    workers: Annotated[int | None, typer.Option(help="server processes [env PAPERSEARCH_WORKERS]")] = None,
    build: Annotated[bool, typer.Option(
        help="Build what is missing: with no index, keyword search is served within about a minute, the title "
             "vectors and the rest are built beside the server and swapped in (what `make serve` runs)")] = False,
) -> None:
    """Serve the API and the web page (http://127.0.0.1:8000/ by default)."""
    with friendly_errors(KNOWN_ERRORS):
        s = make_settings(data_dir=data_dir, host=host, port=port, workers=workers)
        if build and not DataDir(s.data_dir).finished():   # a first start (a damaged CURRENT is not one)
            err.print("no index yet: keyword search first (a quick pass), the title vectors and the rest beside "
                      "the server", highlight=False)
            r = build_index(s, quick=True)
            err.print(f"quick pass published in {r.seconds:.1f} s ({r.papers} papers; "
                      + " · ".join(f"{k} {v['seconds']:.1f}s" for k, v in r.stages.items() if v["seconds"] >= 0.5)
                      + ")", highlight=False)
        data = DataDir(s.data_dir)
        if data.current() is None:
            why = f" ({data.pointer_problem()})" if data.finished() else ""
            raise UserError(f"no index to serve in {s.data_dir}{why}; build one with `papersearch index`")
    child = build_beside.start(s) if build and build_beside.pending(s.data_dir) else None
    try:
        _serve(s)
    finally:
        build_beside.stop(child)


def _serve(s: Settings) -> None:
    import uvicorn

    from api.main import create_app

    console.print(f"serving {s.data_dir} on http://{s.host}:{s.port}/  (API docs: /docs)"
                  + (f", {s.workers} workers" if s.workers > 1 else ""), highlight=False)
    if s.workers == 1:
        uvicorn.run(create_app(s), host=s.host, port=s.port, log_level="info", timeout_keep_alive=KEEP_ALIVE_S)
        return
    # worker processes build their settings from the environment: hand the CLI's choices over there; the cores
    # are shared between the workers' encoders, and the model is prepared (converted/exported) once, here
    os.environ["PAPERSEARCH_DATA_DIR"] = str(s.data_dir)
    if not s.threads:
        os.environ["PAPERSEARCH_THREADS"] = str(max(1, (os.cpu_count() or 1) // s.workers))
    with friendly_errors(KNOWN_ERRORS):
        embedder_for(s)
    uvicorn.run("api.main:create_app", factory=True, workers=s.workers, host=s.host, port=s.port,
                log_level="info", timeout_keep_alive=KEEP_ALIVE_S)


def main() -> None:
    from papersearch import fetch_cli, search_cli, watch_cli

    search_cli.register(app)
    watch_cli.register(app)
    fetch_cli.register(app)
    app()


if __name__ == "__main__":
    main()

"""The web page: server-rendered search, result cards, paper page with neighbours, author pages.

Plain HTML forms (GET), so every search is a shareable URL and works from the
keyboard; no front-end build step. Filters are parsed here leniently: a bad
value becomes a message on the page, not a JSON error. Every result list links
its downloads (the JSON API's `format=`), and the search, paper and author pages
carry a follow button (static/follow.js posts the watch to /api/watches).
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from api.building import banner
from api.deps import Holder, engine
from api.schemas import TopicOrder
from api.views import author_out, ordered, paper_detail
from search.engine import SearchEngine
from search.filters import FilterError, Filters
from search.follow.authors import UnknownAuthor
from search.limits import MAX_K, NotFoundError, QueryError
from search.schemas import RankMode

HERE = Path(__file__).resolve().parent.parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters["marked"] = lambda s: Markup(s)  # snippets are escaped by search.snippet, only <mark> added
templates.env.globals["build_banner"] = banner  # every page: a partial index and how far its build is
router = APIRouter(include_in_schema=False)

WATCH_FILTERS = ("date_from", "date_to", "min_votes", "author", "cluster")  # what a query watch keeps of a search
SECTION_TITLES = {"whats_new": "What's New", "technical_details": "Technical Details",
                  "performance_highlights": "Performance Highlights", "bullets": "요약"}
SOURCE_NAMES = {"digest": "from the Korean digest", "feed": "from the Hugging Face Daily Papers feed"}


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")


def _date(v: str | None, name: str, problems: list[str]) -> date | None:
    if not v:
        return None
    try:
        return datetime.strptime(v, "%Y-%m-%d").date()
    except ValueError:
        problems.append(f"{name}: expected YYYY-MM-DD, got {v!r}")
        return None


def _watch_value(key: str, value: str) -> str | int:
    return int(value) if key in ("min_votes", "cluster") and value.lstrip("-").isdigit() else value


def _mode(v: str | None, problems: list[str]) -> str:
    if v and v not in RankMode.__members__:
        problems.append(f"mode: expected one of {', '.join(RankMode.__members__)}")
        return "relevance"
    return v or "relevance"


def _int(v: str | None, name: str, problems: list[str], lo: int, hi: int) -> int | None:
    if v in (None, ""):
        return None
    try:
        n = int(v)
        if not lo <= n <= hi:
            raise ValueError
        return n
    except ValueError:
        problems.append(f"{name}: expected a whole number from {lo} to {hi}, got {v!r}")
        return None


@router.get("/", response_class=HTMLResponse)
def home(request: Request, e: Annotated[SearchEngine, Depends(engine)]):
    p = request.query_params
    q = (p.get("q") or "").strip()
    problems: list[str] = []
    form = {key: p.get(key, "") for key in ("q", "date_from", "date_to", "min_votes", "author", "mode", "k", "cluster")}
    mode = _mode(p.get("mode"), problems)
    k = _int(p.get("k"), "k", problems, 1, MAX_K) or 20
    filters = None
    try:
        filters = Filters(_date(p.get("date_from"), "date_from", problems), _date(p.get("date_to"), "date_to", problems),
                          _int(p.get("min_votes"), "min_votes", problems, 0, 1_000_000), p.get("author") or None,
                          _int(p.get("cluster"), "cluster", problems, -1, 100_000))
    except FilterError as exc:
        problems.append(str(exc))
    resp = None
    if q and filters is not None:
        try:
            resp = e.search(q, k=k, filters=filters, mode=RankMode(mode))
        except (QueryError, NotFoundError) as exc:
            problems.append(str(exc))
    t = e.topics
    kept = {k: v for k, v in form.items() if v}
    if resp is not None and resp.similar_to:  # an arXiv id searched: follow papers like it
        follow = {"positive": resp.similar_to}
    else:
        follow = {"query": q, **{k: _watch_value(k, kept[k]) for k in WATCH_FILTERS if k in kept}}
    return templates.TemplateResponse(request, "search.html", {
        "follow": follow, "export_url": "/api/search?" + urlencode({**kept, "k": k}),
        "form": form, "mode": mode, "modes": list(RankMode.__members__), "resp": resp, "problems": problems,
        "papers": e.size, "k": k, "cluster_labels": t.labels() if t else {},
        "facet_url": lambda cid: "/?" + urlencode({**{k: v for k, v in form.items() if v}, "cluster": cid}),
        "all_topics_url": "/?" + urlencode({k: v for k, v in form.items() if v and k != "cluster"}),
    })


@router.get("/topics", response_class=HTMLResponse)
def topics(request: Request, e: Annotated[SearchEngine, Depends(engine)]):
    view = request.query_params.get("view", "size")
    problems = []
    if view not in TopicOrder.__members__:
        problems.append(f"view: expected one of {', '.join(TopicOrder.__members__)}, got {view!r}")
        view = "size"
    t = e.topics
    rows = ordered(t, TopicOrder(view)) if t else []
    months = sorted({m for cl in rows for m in cl.monthly if m})

    def spark(cl) -> str:  # polyline points of papers per month, 4 px a month, 20 px high
        counts = [cl.monthly.get(m, 0) for m in months]
        top = max(max(counts, default=0), 1)
        return " ".join(f"{i * 4},{19 - 18 * n / top:.1f}" for i, n in enumerate(counts))

    return templates.TemplateResponse(request, "topics.html", {
        "c": t, "rows": rows, "view": view, "views": list(TopicOrder.__members__), "problems": problems,
        "title_of": t.title_of if t else None, "months": months, "spark": spark,
    })


@router.get("/topics/map.png")
def topics_map(e: Annotated[SearchEngine, Depends(engine)], h: Holder):
    t = e.topics
    if t is None:
        return Response(status_code=404)
    return Response(h.cache.get(e.generation, "map.png", t.map_png), media_type="image/png")


@router.get("/topics/{cluster_id}", response_class=HTMLResponse)
def topic(request: Request, cluster_id: int, e: Annotated[SearchEngine, Depends(engine)]):
    t = e.topics
    target = t.resolve(cluster_id) if t else None
    if target is None:
        return templates.TemplateResponse(request, "notfound.html", {"message": f"no topic {cluster_id}"},
                                          status_code=404)
    if target != cluster_id:  # a retired id: the topic most of its papers joined
        return RedirectResponse(f"/topics/{target}", status_code=307)
    total, results = e.cluster_papers(cluster_id, 100)
    return templates.TemplateResponse(request, "topic.html", {"cl": t.get(cluster_id), "total": total,
                                                              "results": results,
                                                              "export_url": f"/api/clusters/{cluster_id}?k=100"})


@router.get("/paper/{arxiv_id:path}", response_class=HTMLResponse)
def paper_page(request: Request, arxiv_id: str, e: Annotated[SearchEngine, Depends(engine)]):
    try:
        detail = paper_detail(e, arxiv_id)
    except NotFoundError as exc:
        return templates.TemplateResponse(request, "notfound.html", {"message": str(exc)}, status_code=404)
    problems: list[str] = []  # a bad mode falls back to relevance, as on the search page
    mode = _mode(request.query_params.get("mode"), problems)
    neighbours = e.similar(detail.arxiv_id, k=10, mode=RankMode(mode))
    return templates.TemplateResponse(request, "paper.html", {
        "p": detail, "neighbours": neighbours, "section_titles": SECTION_TITLES, "source_names": SOURCE_NAMES,
        "mode": mode, "problems": problems,
        "modes": list(RankMode.__members__), "similar_url": "/?" + urlencode({"q": detail.arxiv_id}),
        "follow": {"positive": [detail.arxiv_id], "name": f"papers like {detail.title}"[:200]},
        "export_url": f"/api/papers/{detail.arxiv_id}/similar?" + urlencode({"k": 10, "mode": mode}),
    })


@router.get("/author/{name:path}", response_class=HTMLResponse)
def author_page(request: Request, name: str, e: Annotated[SearchEngine, Depends(engine)], h: Holder):
    try:
        a = author_out(e, h.source(e).authors.lookup(name[:200]), 200)
    except UnknownAuthor as exc:
        return templates.TemplateResponse(request, "notfound.html", {"message": str(exc), "closest": exc.closest},
                                          status_code=404)
    return templates.TemplateResponse(request, "author.html", {
        "a": a, "follow": {"author": a.name}, "export_url": f"/api/authors/{quote(a.name, safe='')}",
    })

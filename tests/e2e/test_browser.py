"""End to end in real headless Chromium: uvicorn on a free loopback port, Korean query, cards, similar, following
a search into a feed, downloading an export, author pages."""
import os
import shutil
import sys
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from tests.helpers import BOTH_ID, FEED_ONLY_ID, free_port, serving

pytestmark = pytest.mark.model

CHROMIUM = os.environ.get("PAPERSEARCH_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(built_settings):
    port = free_port()
    env = {**os.environ, "PAPERSEARCH_DATA_DIR": str(built_settings.data_dir), "PAPERSEARCH_PORT": str(port)}
    with serving([sys.executable, "-m", "papersearch.cli", "serve"], port, env) as base:
        yield base


@pytest.fixture(scope="module")
def fed_server(fed_settings):
    """A server over an index of both sources (the digest and the Hugging Face feed)."""
    port = free_port()
    env = {**os.environ, "PAPERSEARCH_DATA_DIR": str(fed_settings.data_dir), "PAPERSEARCH_PORT": str(port)}
    with serving([sys.executable, "-m", "papersearch.cli", "serve"], port, env) as base:
        yield base


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh, empty profile per run
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS)
        pg = ctx.new_page()
        yield pg
        ctx.close()
    shutil.rmtree(profile, ignore_errors=True)


def test_korean_search_then_similar(server, page, tmp_path):
    page.goto(server + "/")
    box = page.locator("#q")
    box.fill("표현을 수정하는 파인튜닝")
    box.press("Enter")
    page.wait_for_selector("article.card")
    assert "q=" in page.url  # shareable URL
    cards = page.locator("article.card")
    assert cards.count() > 0
    assert page.locator("article.card mark").count() > 0
    titles = cards.locator("a.title").all_inner_texts()
    assert any("ReFT" in t for t in titles), titles
    page.screenshot(path=str(tmp_path / "search.png"), full_page=True)

    first_id = cards.first.get_attribute("data-arxiv")
    cards.first.locator("a.similar").click()
    page.wait_for_selector("#neighbours")
    assert f"/paper/{first_id}" in page.url
    neighbours = page.locator("section.neighbours article.card")
    assert neighbours.count() == 10
    assert first_id not in [n.get_attribute("data-arxiv") for n in neighbours.all()]


def test_english_query_and_filter_from_the_keyboard(server, page):
    page.goto(server + "/")
    page.keyboard.press("/")
    page.keyboard.type("video generation")
    page.keyboard.press("Enter")
    page.wait_for_selector("article.card")
    page.goto(server + "/?q=video+generation&min_votes=10&mode=votes")
    from tests.helpers import assert_relevant_head_sorted

    votes = [int(v.replace("▲", "").strip()) for v in page.locator("article.card .votes").all_inner_texts()]
    scores = [float(s) for s in page.locator("article.card .score").all_inner_texts()]
    assert votes and all(v >= 10 for v in votes) and len(scores) == len(votes)
    assert_relevant_head_sorted(scores, votes)


def test_expanded_terms_line_shows_why_a_paper_matched(server, page):
    expanded = httpx.get(server + "/api/search", params={"q": "video generation"}).json()["expanded_terms"]
    assert expanded
    page.goto(server + "/?q=video+generation")
    line = page.locator("#expanded-terms")
    line.wait_for()
    shown = line.locator(".term").all_inner_texts()
    assert set(shown) == set(expanded)


def test_topic_map_hover_click_and_main_mass_fills_the_frame(server, page):
    import numpy as np

    from indexer.topics.plots import main_mass_fill

    page.goto(server + "/topics")
    page.wait_for_selector("#topic-map[data-ready='1']")
    m = httpx.get(server + "/api/clusters/map").json()
    assert page.locator("#topic-map circle").count() == len(m["points"])
    # from the stored coordinates, in the frame the page draws
    assert main_mass_fill(np.array([p[:2] for p in m["points"]]), tuple(m["frame"])) >= 0.5
    # and as drawn: the central 90% of the dots on each axis span at least half of the SVG's area
    drawn = page.evaluate("""() => {
        const svg = document.querySelector('#topic-map svg'), vb = svg.viewBox.baseVal, xs = [], ys = [];
        for (const c of svg.querySelectorAll('circle')) { xs.push(+c.getAttribute('cx')); ys.push(+c.getAttribute('cy')); }
        const q = (a, p) => { a = [...a].sort((x, y) => x - y); return a[Math.floor(p * (a.length - 1))]; };
        return (q(xs, .95) - q(xs, .05)) * (q(ys, .95) - q(ys, .05)) / (vb.width * vb.height); }""")
    assert drawn >= 0.5, drawn
    dot = page.locator("#topic-map circle").last  # drawn last: on top, nothing intercepts the pointer
    arxiv = dot.get_attribute("data-id")
    dot.hover()
    tip = page.locator("#map-tip")
    tip.wait_for(state="visible")
    title = tip.locator("strong").inner_text()
    assert tip.get_attribute("data-id") == arxiv and title == next(p[4] for p in m["points"] if p[3] == arxiv)
    dot.click()
    page.wait_for_url(f"**/paper/{arxiv}")
    assert title in page.locator("h1").inner_text()


def test_rising_view_orders_topics_by_growth(server, page):
    page.goto(server + "/topics?view=rising")
    rows = page.locator("#topics-table tbody tr:not(.other) td.growth").all_inner_texts()
    growth = [float(g) for g in rows]
    assert growth and growth == sorted(growth, reverse=True)


def test_markup_in_a_corpus_title_and_in_a_query_is_shown_as_text(server, page):
    from tests.helpers import HOSTILE_ID

    page.goto(server + "/?q=" + "Hostile Title Test <script>window.__pwned=3</script>")
    page.wait_for_selector(f"article.card[data-arxiv='{HOSTILE_ID}']")
    assert page.evaluate("() => window.__pwned") is None
    card = page.locator(f"article.card[data-arxiv='{HOSTILE_ID}'] a.title")
    assert "<script>" in card.inner_text()
    page.goto(server + f"/paper/{HOSTILE_ID}")
    assert page.evaluate("() => window.__pwned") is None and "<script>" in page.locator("h1").inner_text()
    page.goto(server + "/topics")
    page.wait_for_selector("#topic-map[data-ready='1']")
    page.locator(f"#topic-map circle[data-id='{HOSTILE_ID}']").dispatch_event("mouseover")
    assert "<script>" in page.locator("#map-tip").inner_text()
    assert page.evaluate("() => window.__pwned") is None


def test_follow_a_search_then_read_its_feed(server, page):
    from tests.helpers import parsed_feed

    newest = httpx.get(server + "/api/search", params={"q": "model", "k": 1, "date_from": "2025-01-02",
                                                        "date_to": "2025-01-02"}).json()["results"][0]
    page.goto(server + "/?" + urlencode({"q": newest["title"]}))
    page.wait_for_selector("article.card")
    page.locator(".follow .follow-btn").click()
    box = page.locator(".follow .feed-url")
    box.wait_for(state="visible")
    feed_url = box.input_value()
    assert feed_url.startswith(server + "/feeds/") and feed_url.endswith(".atom")
    assert page.locator(".follow .follow-btn").inner_text().endswith("following")
    feed = parsed_feed(httpx.get(feed_url).content)  # what a feed reader given the URL gets
    assert feed.feed.title == f"papersearch: {newest['title']}"
    assert newest["arxiv_id"] in [e.link.rsplit("/", 1)[1] for e in feed.entries]
    assert httpx.delete(server + "/api/watches/" + feed_url.rsplit("/", 1)[1].removesuffix(".atom")).status_code == 204


def test_export_link_downloads_a_file_a_reference_manager_reads(server, page):
    from tests.helpers import exported_ids

    page.goto(server + "/?q=video+generation")
    page.wait_for_selector("article.card")
    shown = [c.get_attribute("data-arxiv") for c in page.locator("article.card").all()]
    with page.expect_download() as download:
        page.locator("a.export-bibtex").first.click()
    assert download.value.suggested_filename == "papersearch-search-video-generation.bib"
    assert exported_ids(Path(download.value.path()).read_text(encoding="utf-8"), "bibtex") == shown


def test_an_author_link_opens_the_author_page(server, page):
    page.goto(server + "/paper/2404.03592")
    link = page.locator("article.paper .authors a.author").first
    name = link.inner_text()
    link.click()
    page.wait_for_url("**/author/**")
    assert page.locator("#author-name").inner_text() == name
    assert "2404.03592" in [c.get_attribute("data-arxiv") for c in page.locator("article.card").all()]
    assert page.locator(".follow .follow-btn").count() == 1 and page.locator("a.export-csv").count() == 1


def test_the_paper_page_shows_the_korean_summary_and_the_abstract_or_says_one_is_missing(fed_server, page):
    page.goto(f"{fed_server}/?q=" + "continual fine-tuning with CUR decomposition".replace(" ", "+"))
    card = page.locator(f'article.card[data-arxiv="{BOTH_ID}"]')
    assert "<mark>" in card.locator(".snippet").inner_html()  # an English query's snippet: from the abstract
    assert "This paper introduces CURLoRA" in card.locator(".snippet").inner_text()
    card.locator("a.similar").click()
    page.wait_for_selector("#neighbours")
    korean, english = page.locator("#summary"), page.locator("#abstract")
    assert korean.is_visible() and english.is_visible()
    assert korean.locator("h3").count() >= 2 and korean.locator(".source").inner_text() == "from the Korean digest"
    assert "This paper introduces CURLoRA" in english.inner_text()
    assert "Hugging Face" in english.locator(".source").inner_text() and page.locator(".missing").count() == 0

    page.goto(f"{fed_server}/paper/{FEED_ONLY_ID}")
    assert "no Korean summary yet" in page.locator("#summary .missing").inner_text()
    assert page.locator("#summary .summary-section").count() == 0 and len(page.locator("#abstract p").inner_text()) > 200

"""The Hugging Face feed reader (indexer.ingest.feed) on the bundled snapshot's real faults and on small
synthetic days: repr-string items, a day wrapped in an object, hard wraps, LaTeX, bad items and files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.ingest.corpus import load_corpus
from indexer.ingest.feed import feed_files, is_feed_path, parse_feed_bytes, parse_feed_file, unwrap
from tests.helpers import FEED

needs_feed = pytest.mark.skipif(not FEED.is_dir(), reason=f"feed snapshot not found at {FEED}")


def item(aid: str, title: str = "A Title", abstract: str = "An abstract.", upvotes: int = 3,
         authors: tuple[str, ...] = ("Ada Lovelace", "Alan Turing")) -> dict:
    return {"paper": {"id": aid, "title": title, "summary": abstract, "upvotes": upvotes,
                      "authors": [{"_id": str(i), "name": n, "hidden": False} for i, n in enumerate(authors)],
                      "publishedAt": "2024-06-02T17:00:00.000Z"},
            "publishedAt": "2024-06-03T03:00:00.000Z", "title": title, "numComments": 0,
            "thumbnail": f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{aid}.png"}


def write_day(folder: Path, day: str, body: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / f"{day}.json"
    p.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    return p


# --- the real snapshot -------------------------------------------------------------


@needs_feed
def test_repr_string_items_are_read_with_literal_eval():
    day = FEED / "2024-12-11.json"
    assert all(isinstance(x, str) for x in json.loads(day.read_text(encoding="utf-8")))
    got = parse_feed_file(day)
    assert not got.skipped and got.warnings == [] and got.items_skipped == 0 and len(got.items) == 26
    first = got.items[0]
    assert (first.arxiv_id, first.date, first.position, first.upvotes) == ("2412.07730", "2024-12-11", 1, 54)
    assert first.title == "STIV: Scalable Text and Image Conditioned Video Generation"
    assert first.authors[:3] == ["Zongyu Lin", "Wei Liu", "Chen Chen"] and len(first.abstract) > 200


@needs_feed
def test_the_day_wrapped_in_an_object_is_unwrapped_and_says_so():
    got = parse_feed_file(FEED / "2025-01-10.json")
    assert not got.skipped and len(got.items) == 9 and got.items_skipped == 0
    assert got.items[0].arxiv_id == "2501.05441" and {i.date for i in got.items} == {"2025-01-10"}
    assert got.warnings == [f"{(FEED / '2025-01-10.json').as_posix()}: a day wrapped in an object; its 'data' list read"]


@needs_feed
def test_hard_wrapped_text_is_joined_and_latex_kept():
    day = parse_feed_file(FEED / "2024-05-27.json").items
    conv = next(i for i in day if i.arxiv_id == "2405.15738")
    raw = json.loads((FEED / "2024-05-27.json").read_text(encoding="utf-8"))[0]["paper"]
    assert "\n" in raw["title"] and "\n" in raw["summary"]
    assert conv.title == "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models"
    assert "\n" not in conv.abstract and "excessive visual tokens and quadratic visual complexity" in conv.abstract
    lora = next(i for i in parse_feed_file(FEED / "2024-05-28.json").items if i.arxiv_id == "2405.17258")
    assert lora.title.startswith("$\\textit{Trans-LoRA}$: towards")  # the listing's title keeps its LaTeX
    cost = next(i for i in parse_feed_file(FEED / "2024-07-03.json").items if i.arxiv_id == "2407.01489")
    assert "lowest cost (\\$0.34)" in cost.abstract


@needs_feed
def test_whole_snapshot_reads_every_paper_and_never_the_readme():
    assert is_feed_path(FEED) and (FEED / "README.md").exists() and (FEED / "LICENSE").exists()
    assert len(feed_files(FEED)) == 233 and all(f.suffix == ".json" for f in feed_files(FEED))
    papers, report = load_corpus(FEED)
    assert (report.files_read, report.files_skipped, report.feed_files) == (233, 0, 233)
    assert report.feed_items == len(papers) == report.feed_only == report.with_abstract == 3169
    assert report.feed_items_skipped == 0 and report.entries == 0 and len(report.warnings) == 1  # the wrapped day
    assert all(p.title and p.abstract and p.dates and not p.summary and p.upvotes is not None for p in papers)
    assert all(p.sources["title"] == "feed" and p.source == p.feed_source for p in papers)


# --- synthetic days -----------------------------------------------------------------


def test_bad_items_are_skipped_with_one_warning_each_naming_file_and_position(tmp_path):
    good = item("2406.00001")
    as_repr = repr(item("2406.00002"))        # single quotes, True/None: Python, not JSON
    as_json_text = json.dumps(item("2406.00003"))
    bad = ["{'paper': {'id': '2406.0", "__import__('os').system('touch pwned')", 42, ["x"], {"paper": {}},
           {"paper": {"id": "2406.00009", "title": "   "}}]
    day = write_day(tmp_path / "feed", "2024-06-03", [good, as_repr, bad[0], as_json_text, *bad[1:]])
    got = parse_feed_file(day)
    assert [i.arxiv_id for i in got.items] == ["2406.00001", "2406.00002", "2406.00003"]
    assert [i.position for i in got.items] == [1, 2, 4] and {i.date for i in got.items} == {"2024-06-03"}
    assert got.items_skipped == len(bad) == len(got.warnings)
    src = day.as_posix()
    assert [w.split(": ")[1] for w in got.warnings] == [f"item {n}" for n in (3, 5, 6, 7, 8, 9)]
    assert all(w.startswith(f"{src}: item ") for w in got.warnings)
    assert "neither a JSON object nor a Python literal" in got.warnings[0]
    assert not (Path.cwd() / "pwned").exists()  # literal_eval, never eval


def test_repr_strings_of_non_objects_are_skipped_and_a_wrapped_repr_item_is_unwrapped(tmp_path):
    wrapped = item("2412.00001", title="A Hard-\nWrapped  Title", abstract="First line\nsecond line.\n\nNext.")
    wrapped["paper"]["upvotes"] = None
    junk = [repr([1, 2]), "None", repr("just text"), repr(("2412.00002",)), "{'paper': {'id': 'not-an-id'}}"]
    day = write_day(tmp_path / "feed", "2024-12-11", [repr(wrapped), *junk])
    got = parse_feed_file(day)
    assert [i.arxiv_id for i in got.items] == ["2412.00001"] and got.items_skipped == len(junk)
    one = got.items[0]
    assert (one.title, one.abstract, one.upvotes) == ("A Hard- Wrapped Title", "First line second line.\n\nNext.",
                                                       None)
    kinds = [w.split("skipped (")[1] for w in got.warnings]
    # "None" reads as nothing at all: skipped as unreadable
    assert kinds[:4] == ["a list, not an object)", "neither a JSON object nor a Python literal)", "a str, not an object)",
                         "a tuple, not an object)"] and kinds[4].startswith("no arXiv id")


def test_odd_field_values_are_dropped_not_trusted(tmp_path):
    odd = item("2406.00001")
    odd["paper"].update(upvotes=True, authors="Ada Lovelace")
    odd["thumbnail"] = "javascript:alert(1)"
    neg = item("2406.00002")
    neg["paper"]["upvotes"] = -3
    neg["paper"]["authors"] = [{"name": " Ada\n Lovelace "}, {"name": "Ada Lovelace"}, "Alan", {"name": None}]
    text = item("2406.00003")
    text["paper"]["upvotes"] = "12"
    got = parse_feed_file(write_day(tmp_path / "feed", "2024-06-03", [odd, neg, text]))
    a, b, c = got.items
    assert (a.upvotes, a.authors, a.thumbnail_url) == (None, [], None)
    assert (b.upvotes, b.authors) == (None, ["Ada Lovelace"]) and c.upvotes is None and got.warnings == []


def test_a_wrapped_day_with_bad_items_inside_reads_the_good_ones(tmp_path):
    body = {"status": "success", "date": "2025-01-10", "count": 3,
            "data": [repr(item("2501.00001")), "{'paper': ", 5, item("2501.00002")]}
    got = parse_feed_bytes(json.dumps(body).encode(), "feed/x.json")  # no date in the name: the object's
    assert [i.arxiv_id for i in got.items] == ["2501.00001", "2501.00002"]
    assert {i.date for i in got.items} == {"2025-01-10"} and got.items_skipped == 2
    assert got.warnings[0] == "feed/x.json: a day wrapped in an object; its 'data' list read"
    assert [w.split(": ")[1] for w in got.warnings[1:]] == ["item 2", "item 3"]


def test_a_file_that_is_no_list_is_named_and_skipped(tmp_path):
    for body in ({"error": "Invalid date"}, "7", '{"status": "success", "data": "none"}', '[{"paper": ',
                 "\x00\x01binary", ""):
        got = parse_feed_bytes(body.encode() if isinstance(body, str) else json.dumps(body).encode(), "d/x.json",
                               "2024-06-03")
        assert got.skipped and got.items == [] and len(got.warnings) == 1 and got.warnings[0].startswith("d/x.json: ")


def test_unwrap_joins_lines_keeps_paragraphs_and_latex():
    text = "We study $\\alpha$-divergences\n  in  deep\r\nnets.\n\n  A second\nparagraph.\n \n\nThird."
    assert unwrap(text) == "We study $\\alpha$-divergences in deep nets.\n\nA second paragraph.\n\nThird."
    assert unwrap("") == "" and unwrap("one line") == "one line"


def test_folder_detection_file_dates_and_hidden_or_foreign_files(tmp_path):
    feed = tmp_path / "feed"
    write_day(feed, "2024-06-03", [item("2406.00001")])
    write_day(feed, "2024-06-04", [item("2406.00001", upvotes=9), item("2406.00002")])
    (feed / "README.md").write_text("## Daily Papers (2024-06-03)\n\n### [x](https://arxiv.org/abs/2406.09999)\n")
    (feed / "notes.json").write_text("[]")
    write_day(feed / ".partial", "2024-06-05", [item("2406.00005")])
    assert is_feed_path(feed) and not is_feed_path(tmp_path)  # day files below the top do not count
    assert [f.name for f in feed_files(feed)] == ["2024-06-03.json", "2024-06-04.json"]
    papers, report = load_corpus(feed)
    assert [p.arxiv_id for p in papers] == ["2406.00001", "2406.00002"] and report.files_read == 2
    assert papers[0].dates == ["2024-06-03", "2024-06-04"] and papers[0].upvotes == 9
    odd = write_day(tmp_path / "single", "not-a-date", [item("2406.00007")])
    odd = odd.rename(odd.with_name("picked.json"))
    papers, report = load_corpus(odd)  # one .json file given directly: read as a feed day without a date
    assert [p.arxiv_id for p in papers] == ["2406.00007"] and papers[0].dates == []
    assert any("no YYYY-MM-DD" in w for w in report.warnings)


# --- property-based: whatever the bytes, the reader answers --------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SAMPLE = (FEED / "2024-12-11.json").read_bytes()[:20000] if FEED.is_dir() else json.dumps([item("2406.00001")]).encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(SAMPLE)), st.integers(0, len(SAMPLE)), st.binary(max_size=5))
def test_cut_or_corrupted_days_never_raise(cut, at, junk):
    data = SAMPLE[:cut] if cut % 2 else SAMPLE[:at] + junk + SAMPLE[at + len(junk):]
    got = parse_feed_bytes(data, "mut/2024-12-11.json", "2024-12-11")
    assert all(w.startswith("mut/2024-12-11.json: ") for w in got.warnings)
    assert all(i.arxiv_id and i.title for i in got.items)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=40), st.integers(), st.none(), st.dictionaries(st.text(max_size=5),
                                                                                         st.text(max_size=5)))))
def test_any_list_of_junk_items_is_skipped_item_by_item(items):
    got = parse_feed_bytes(json.dumps(items).encode(), "j/2024-06-03.json", "2024-06-03")
    assert not got.skipped and got.items == [] and got.items_skipped == len(items) == len(got.warnings)

"""Tests for indexer.ingest.corpus: merging rules, file discovery, the real corpus, and fuzzing."""
from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.ingest.corpus import digest_files, load_corpus, merge_entries
from indexer.ingest.day_file import parse_bytes
from indexer.ingest.parser import parse_digest
from tests.helpers import CORPUS, SEEDS

VALID_ID = re.compile(r"\d{2}(0[1-9]|1[0-2])\.\d{4,5}|[a-z][a-z.\-]*/\d{7}", re.I)
HEADING_ID = re.compile(r"^###.*arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})", re.M)
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"real corpus not found at {CORPUS}")


def digest(day: str, *papers: str) -> str:
    return f"## Daily Papers ({day})\n\n" + "\n".join(papers)


def paper(aid: str, title: str = "T", votes: str = "1", authors: str = "A, B", body: str = "- 요약.", thumb: str = "") -> str:
    meta = (f"![]({thumb})\n" if thumb else "") + (f"Vote: {votes}\n" if votes else "")
    meta += f"Authors: {authors}\n" if authors else ""
    return f"### [{title}](https://arxiv.org/abs/{aid})\n\n{meta}\n{body}\n"


STRUCT = "- ***What's New***: 새로움.\n- ***Technical Details***: 기술.\n- ***Performance Highlights***: 성능."


def write(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def test_same_paper_on_several_days_is_merged(tmp_path: Path):
    write(tmp_path, "2024/06/10.md", digest("2024-06-10", paper("2406.00001", votes="5", body="- 아주 긴 평범한 요약 " * 20)))
    write(tmp_path, "2024/06/12.md", digest("2024-06-12", paper("2406.00001", title="T v2", votes="9", body=STRUCT)))
    write(tmp_path, "2024/06/11.md", digest("2024-06-11", paper("2406.00001", votes="-", authors="", body="- 짧음.")))
    papers, report = load_corpus(tmp_path)
    assert len(papers) == 1
    p = papers[0]
    assert p.dates == ["2024-06-10", "2024-06-11", "2024-06-12"] and p.votes == 9
    assert p.source == f"{(tmp_path / '2024/06/12.md').as_posix()}:3"  # structured beats the longer plain one
    assert p.title == "T v2" and set(p.sections) == {"whats_new", "technical_details", "performance_highlights"}
    assert (report.files_read, report.entries, report.papers, report.duplicates_merged) == (3, 3, 1, 2)


def entries_of(text: str, source: str):
    return parse_digest(text, source)[0]


def test_winner_longest_then_latest_then_first_location():
    short = entries_of(digest("2024-01-05", paper("2401.00001", body="- 짧다.")), "a.md")
    long_ = entries_of(digest("2024-01-01", paper("2401.00001", body="- 훨씬 더 긴 요약이다.")), "b.md")
    assert merge_entries(short + long_)[0].source == "b.md:3"
    early = entries_of(digest("2024-01-01", paper("2401.00002")), "z.md")
    late = entries_of(digest("2024-01-02", paper("2401.00002")), "a.md")
    assert merge_entries(early + late)[0].source == "a.md:3"
    copy1 = entries_of(digest("2024-01-01", paper("2401.00003")), "x/b.md")
    copy2 = entries_of(digest("2024-01-01", paper("2401.00003")), "x/a.md")
    assert merge_entries(copy1 + copy2)[0].source == merge_entries(copy2 + copy1)[0].source == "x/a.md:3"


def test_authors_and_thumbnail_fall_back_to_other_appearances():
    winner = entries_of(digest("2024-07-01", paper("2407.00001", authors="", body=STRUCT)), "w.md")
    other = entries_of(digest("2024-06-01", paper("2407.00001", authors="X, +", thumb="https://img/x.png")), "o.md")
    p = merge_entries(winner + other)[0]
    assert p.source == "w.md:3" and p.authors == ["X"] and p.authors_truncated
    assert p.thumbnail_url == "https://img/x.png"


def test_duplicate_within_one_file_and_papers_sorted(tmp_path: Path):
    text = (digest("2024-10-18", paper("2410.00009"), paper("2410.00002"))
            + digest("2024-10-18", paper("2410.00009", body=STRUCT)))
    write(tmp_path, "2024/10/18.md", text)
    papers, report = load_corpus(tmp_path / "2024/10/18.md")
    assert [p.arxiv_id for p in papers] == ["2410.00002", "2410.00009"]
    assert papers[1].dates == ["2024-10-18"] and report.duplicates_merged == 1
    assert any("repeated" in w for w in report.warnings)


def test_discovery_reports_and_multiple_roots(tmp_path: Path):
    write(tmp_path, "2024/01/02.md", digest("2024-01-02", paper("2401.00001"), "### no link\n- x\n"))
    write(tmp_path, "2024/01/03.md", "")
    write(tmp_path, "papers_list.csv", "date,title,url\n")
    write(tmp_path, "notes.txt", digest("2024-01-09", paper("2401.00099")))
    write(tmp_path, ".hidden/2024/01/04.md", digest("2024-01-04", paper("2401.00004")))
    seed = write(tmp_path.parent / f"{tmp_path.name}_seeds", "seed.txt", digest("2024-01-02", paper("2401.00005")))
    assert [f.relative_to(tmp_path).as_posix() for f in digest_files(tmp_path)] == ["2024/01/02.md", "2024/01/03.md"]
    papers, report = load_corpus(tmp_path)
    assert [p.arxiv_id for p in papers] == ["2401.00001"]
    assert (report.files_read, report.files_skipped, report.sections_skipped, report.papers) == (1, 1, 1, 1)
    assert all(re.match(r"^.+:\d+: ", w) for w in report.warnings) and len(report.warnings) == 2
    papers, report = load_corpus([tmp_path, seed])
    assert [p.arxiv_id for p in papers] == ["2401.00001", "2401.00005"] and report.files_read == 2
    with pytest.raises(FileNotFoundError):
        load_corpus(tmp_path / "nope")


# --- the real corpus ---------------------------------------------------------------


@pytest.fixture(scope="module")
def real():
    started = time.perf_counter()
    papers, report = load_corpus(CORPUS)
    return papers, report, time.perf_counter() - started


@needs_corpus
def test_real_corpus_every_id_exactly_once(real):
    papers, report, elapsed = real
    expected: set[str] = set()
    for f in sorted(CORPUS.rglob("*.md")):
        expected.update(HEADING_ID.findall(f.read_text(encoding="utf-8", errors="replace")))
    counts = Counter(p.arxiv_id for p in papers)
    assert set(counts) == expected and max(counts.values()) == 1
    assert 4500 <= report.papers <= 7000 and 300 <= report.files_read <= 450 and report.files_skipped == 0
    assert report.entries == report.papers + report.duplicates_merged
    assert [p.arxiv_id for p in papers] == sorted(counts)
    assert all(p.title and p.summary and p.dates and p.source for p in papers)
    assert elapsed < 2.0, f"corpus load took {elapsed:.2f}s"


@needs_corpus
def test_real_corpus_is_deterministic(real):
    papers, report, _ = real
    again, report2 = load_corpus(CORPUS)
    assert [p.to_dict() for p in again] == [p.to_dict() for p in papers] and report2 == report


@pytest.mark.skipif(not list(SEEDS.glob("*.txt")), reason=f"no seeds at {SEEDS}")
def test_seeds_parse_alone_and_merge_with_corpus():
    seeds = sorted(SEEDS.glob("*.txt"))
    for s in seeds:
        papers, report = load_corpus(s)
        assert papers and report.files_read == 1 and report.warnings == [], s
        assert all(p.dates and p.source.startswith(s.as_posix()) for p in papers)
    if CORPUS.is_dir():
        papers, report = load_corpus([CORPUS, *seeds])
        assert len({p.arxiv_id for p in papers}) == len(papers) == report.papers


# --- property-based ----------------------------------------------------------------

FRAGMENTS = [
    "## Daily Papers (2024-01-01)", "## Daily Papers (2024-13-45)", "### [", "### [T](https://arxiv.org/abs/2401.00001)",
    "](https://arxiv.org/abs/2402.00002v3)", "](https://arxiv.org/pdf/2403.00003)", "### [[x] (y)](", "###",
    "![](https://x/y.png)", "Vote: 7", "Vote: -", "Vote: x", "Authors: A, +, B", "Authors:", "- ***What's New***: ",
    "- **Technical Details**: ['a', 'b']", "- **", "***", "- ", "  - ", "\t", "[Watch Video](u)", "# h", "", "\r",
]


def check(result, source: str) -> None:
    prefix = re.compile(re.escape(source) + r":\d+: .")
    assert all(prefix.match(w) for w in result.warnings), result.warnings
    for p in merge_entries(result.entries):
        assert VALID_ID.fullmatch(p.arxiv_id) and p.title.strip(), p


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30)), max_size=40))
def test_random_text_never_raises(parts):
    text = "".join(p if i % 3 else p + "\n" for i, p in enumerate(parts))
    check(parse_bytes(text.encode("utf-8", errors="surrogatepass"), "fuzz/2024/01/01.md"), "fuzz/2024/01/01.md")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data):
    check(parse_bytes(data, "bytes.md"), "bytes.md")


def _sample_files() -> list[bytes]:
    files = sorted(CORPUS.rglob("*.md"))[::15] if CORPUS.is_dir() else []
    return [f.read_bytes() for f in files] or [digest("2024-01-01", paper("2401.00001"), paper("2401.00002")).encode()]


SAMPLES = _sample_files()
MUTATION = st.tuples(st.sampled_from(["delete", "duplicate", "corrupt", "truncate", "swap"]),
                     st.integers(0, 10**6), st.integers(0, 10**6), st.binary(min_size=1, max_size=3))


def mutate(data: bytes, ops) -> bytes:
    for op, a, b, junk in ops:
        lines = data.split(b"\n")
        i, j = a % len(lines), b % len(lines)
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[j])
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        data = b"\n".join(lines)
        if op == "corrupt" and data:
            k = a % len(data)
            data = data[:k] + junk + data[k + len(junk):]
        elif op == "truncate":
            data = data[: a % (len(data) + 1)]
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(SAMPLES))), st.lists(MUTATION, min_size=1, max_size=8))
def test_mutated_real_files_never_raise(index, ops):
    source = "mut/2024/05/06.md"
    result = parse_bytes(mutate(SAMPLES[index], ops), source)
    check(result, source)
    assert all(e.source == source and e.line >= 1 for e in result.entries)

"""Exports parsed back by real readers: BibTeX by bibtexparser (v2), CSV by csv.DictReader, JSON Lines by json."""
import csv
import io
import json
import re

import bibtexparser
import pytest
from bibtexparser.middlewares import LatexDecodingMiddleware

from indexer.ingest.corpus import load_corpus
from indexer.ingest.records import Paper
from papersearch.registry import UnknownStrategy
from search.follow.bibtex import key_base, latex, unique_keys
from search.follow.export import BOM, CSV_COLUMNS, EXPORTS, export
from search.schemas import SearchResult
from tests.helpers import copy_days

# days whose titles carry &, %, ^, $math$, \textsc{...}, accents; authors cut with "+" or printed as a list
DAYS = ["2023/11/20.md", "2023/12/15.md", "2024/01/17.md", "2024/02/05.md", "2024/05/27.md", "2024/06/04.md",
        "2024/10/25.md"]
BIB_FIELDS = {"title", "author", "year", "month", "eprint", "archivePrefix", "doi", "url"}


@pytest.fixture(scope="module")
def papers(tmp_path_factory, corpus_dir):
    out, _ = load_corpus(copy_days(corpus_dir, tmp_path_factory.mktemp("export"), DAYS))
    return out


def as_typeset(title: str) -> str:
    """What LaTeX makes of plain text: "--" is an en dash, a text-mode "^" is printed as a circumflex accent."""
    head = re.split(r"(?<!\\)(\$[^$]*\$)", title)
    return "".join(p if p.startswith("$") else p.replace("--", "–").replace("^", "ˆ") for p in head)


def parse(text: str, decode: bool = False):
    lib = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()] if decode else [])
    assert not lib.failed_blocks  # a syntax error or a duplicate key lands here
    return lib


def test_every_bibtex_field_round_trips(papers):
    text = export(papers, "bibtex")
    raw, decoded = parse(text).entries, parse(text, decode=True).entries
    assert len(raw) == len(decoded) == len(papers) and len({e.key for e in raw}) == len(papers)
    for p, e, d in zip(papers, raw, decoded):
        assert e.entry_type == "misc"
        assert set(e.fields_dict) == BIB_FIELDS - ({"author"} if not p.authors else set())
        assert e["eprint"] == p.arxiv_id and e["archivePrefix"] == "arXiv" and "primaryClass" not in e.fields_dict
        assert e["url"] == f"https://arxiv.org/abs/{p.arxiv_id}" and e["doi"] == f"10.48550/arXiv.{p.arxiv_id}"
        y, m, _ = p.dates[0].split("-")
        assert e["year"] == y and e["month"] == ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                                 "nov", "dec"][int(m) - 1]
        if "\\" not in p.title:
            assert d["title"] == as_typeset(" ".join(p.title.split())), e["title"]
        names = d["author"].split(" and ") if p.authors else []
        assert names == [" ".join(a.split()) for a in p.authors] + (["others"] if p.authors_truncated else [])
    assert any(p.authors_truncated for p in papers) and any(not a.isascii() for p in papers for a in p.authors)


def test_latex_and_unicode_in_titles_are_kept_as_written(papers):
    text = export(papers, "bibtex")
    by_id = {e["eprint"]: e for e in parse(text).entries}
    for p in papers:
        title = by_id[p.arxiv_id]["title"]
        for math in re.findall(r"\$[^$]*\$", p.title):
            assert math in title  # $π$, $μ$, $^{2}$ verbatim
        if "\\textsc{" in p.title:
            assert "\\textsc{AIEV-Instruct}" in title
    assert "Pok{é}LLMon" not in text and "PokéLLMon" in text  # UTF-8, not LaTeX accents


@pytest.mark.parametrize("title, tex", [
    ("LLaMA Beyond English", "{LLaMA} Beyond English"),
    ("GPT-4o and 3D: a Q&A", "{GPT-4o} and {3D}: a {Q\\&A}"),
    ("\"LLaMA\", (RAG)!", "\"{LLaMA}\", ({RAG})!"),
    ("Over 90% of R&D #1", "Over 90\\% of {R\\&D} \\#1"),
    ("V_AI and VCT^2 ~ x", "{V\\_AI} and {VCT\\textasciicircum{}2} \\textasciitilde{} x"),
    ("M$^{2}$UGen", "{M$^{2}$UGen}"),
    ("$\\textit{Trans-LoRA}$: towards", "$\\textit{Trans-LoRA}$: towards"),
    ("AutoCoder with \\textsc{AIEV-Instruct}", "{AutoCoder} with \\textsc{AIEV-Instruct}"),
    ("5$ coffee", "5\\$ coffee"),
    ("a {b", "a {\\textbraceleft}b"),
    ("c} d {e}", "c{\\textbraceright} d {e}"),
    ("back\\ slash\\", "back\\textbackslash{} slash\\textbackslash{}"),  # a literal backslash, not a control space
    ("Pokémon $λ$-ECLIPSE", "Pokémon {$λ$-ECLIPSE}"),
])
def test_title_escaping(title, tex):
    assert latex(title, protect_caps=True) == tex
    (e,) = parse(f"@misc{{k, title = {{{tex}}}}}").entries  # BibTeX reads every one back as one field
    assert e["title"] == tex


def rec(aid, title, authors, date):
    return Paper(arxiv_id=aid, title=title, authors=authors, dates=[date])


def test_keys_are_firstauthor_year_firstword_and_unique():
    rs = [rec("2404.00001", "The Ultimate Video Model", ["Zi-Wei Liu", "B C"], "2024-04-02"),
          rec("2404.00002", "Video Everything", ["Ziwei Liu"], "2024-04-05"),
          rec("2404.00003", "On a $\\mathcal{O}(n)$ Transformer", ["Jörg Müller"], "2024-04-05"),
          rec("2404.00004", "Video killed", ["Z. Liu"], "2024-04-06"),
          rec("2404.00005", "Video again", ["Ann Liu"], "2024-04-07"),
          rec("2404.00006", "A", [], "2024-04-07"),
          rec("2312.00007", "Old news", ["Ann Liu"], "")]
    rs[-1].dates = []
    assert [key_base(r) for r in rs] == ["liu2024ultimate", "liu2024video", "muller2024transformer", "liu2024video",
                                         "liu2024video", "anon2024", "liu2023old"]
    assert unique_keys([key_base(r) for r in rs]) == ["liu2024ultimate", "liu2024video", "muller2024transformer",
                                                      "liu2024videoa", "liu2024videob", "anon2024", "liu2023old"]
    assert unique_keys(["k"] * 28)[-1] == "kaa" and unique_keys(["ka", "k", "k"]) == ["ka", "k", "kb"]
    text = export(rs, "bibtex")
    assert [e.key for e in parse(text).entries] == unique_keys([key_base(r) for r in rs])
    assert "year" in parse(text).entries[-1].fields_dict  # from the arXiv id when no date is known


def test_names_bibtex_would_split_are_braced():
    r = rec("2404.00001", "T", ["Tom and Jerry", "Smith, Jr.", "Ann Lee"], "2024-04-01")
    (e,) = parse(export([r], "bibtex")).entries
    assert e["author"] == "{Tom and Jerry} and {Smith, Jr.} and Ann Lee"


def test_optional_fields_when_a_record_has_them():
    r = rec("2404.00001", "T", ["A B"], "2024-04-01")
    r.abstract = "We show 50% & more."   # another worker adds abstracts to records
    r.primary_class = "cs.CL"
    (e,) = parse(export([r], "bibtex"), decode=True).entries
    assert e["abstract"] == "We show 50% & more." and e["primaryClass"] == "cs.CL"


def search_result(p: Paper, score: float) -> SearchResult:
    return SearchResult(arxiv_id=p.arxiv_id, title=p.title, authors=p.authors, votes=p.votes, dates=p.dates,
                        score=score, snippet="<mark>x</mark>", arxiv_url=p.arxiv_url, thumbnail_url=None,
                        summary_suspect=False, cluster=3, agreement=0.9)


def read_csv(text: str) -> list[dict]:
    data = text.encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads Korean and accents as UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_has_a_header_and_every_field(papers):
    rows = read_csv(export(papers, "csv"))
    assert len(rows) == len(papers) and list(rows[0]) == list(CSV_COLUMNS)
    for p, row in zip(papers, rows):
        assert row["arxiv_id"] == p.arxiv_id and row["title"] == " ".join(p.title.split())
        assert row["authors"].split("; ") == p.authors if p.authors else row["authors"] == ""
        assert row["first_date"] == p.dates[0] and row["dates"].split() == p.dates
        assert row["votes"] == ("" if p.votes is None else str(p.votes)) and row["score"] == ""
        # a summary of "- " bullets would open as a broken formula: it gets the apostrophe too
        assert row["summary"] == ("'" + p.summary if p.summary.startswith(("=", "+", "-", "@")) else p.summary)
        assert row["arxiv_url"] == p.arxiv_url and row["abstract"] == ""
    scored = read_csv(export([search_result(p, 0.5) for p in papers[:3]], "csv"))
    assert [r["score"] for r in scored] == ["0.5"] * 3 and scored[0]["cluster"] == "3" and scored[0]["summary"] == ""


def test_csv_cells_never_start_a_formula():
    r = rec("2404.00001", "=HYPERLINK(\"http://evil\")", ["@admin", "-1 B"], "2024-04-01")
    r.summary = "+요약\n둘째 줄"
    (row,) = read_csv(export([r], "csv"))
    assert row["title"] == "'=HYPERLINK(\"http://evil\")" and row["authors"] == "'@admin; -1 B"
    assert row["summary"] == "'+요약\n둘째 줄" and row["arxiv_id"] == "2404.00001"


def test_jsonl_is_one_full_record_per_line(papers):
    text = export(papers, "jsonl")
    lines = text.splitlines()
    assert text.endswith("\n") and len(lines) == len(papers)
    assert [json.loads(line) for line in lines] == [p.to_dict() for p in papers]
    results = [search_result(p, 1.0) for p in papers[:2]]
    assert [SearchResult.model_validate_json(line) for line in export(results, "jsonl").splitlines()] == results
    assert "\\u" not in text  # Korean and accents as UTF-8


def test_formats_are_registered_with_media_types():
    assert set(EXPORTS.names()) == {"bibtex", "csv", "jsonl"}
    assert EXPORTS.get("bibtex").filename("watch") == "watch.bib"
    assert EXPORTS.get("csv").media_type.startswith("text/csv")
    with pytest.raises(UnknownStrategy, match="bibtex, csv, jsonl"):
        export([], "xml")
    assert export([], "csv") == BOM + ",".join(CSV_COLUMNS) + "\r\n" and export([], "jsonl") == ""

"""Unit tests for indexer.ingest.parser: one small inline digest per format variant."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexer.ingest.day_file import parse_bytes, parse_file
from indexer.ingest.ids import normalize_arxiv_id
from indexer.ingest.parser import Entry, parse_digest, section_key, split_heading

WARNING = re.compile(r"^.+:\d+: .+")


def one(text: str, source: str = "digest.md") -> tuple[Entry, list[str]]:
    entries, warnings = parse_digest(text, source)
    assert len(entries) == 1, (entries, warnings)
    assert all(WARNING.match(w) for w in warnings), warnings
    return entries[0], warnings


PLAIN = """## Daily Papers (2024-05-06)

### [Plain Paper](https://arxiv.org/abs/2405.01234)

![](https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2405.01234.png)

Vote: 12

Authors: Alice Kim, Bob Lee

- 첫 번째 요약입니다.
- 두 번째 요약입니다.
"""


def test_plain_bullets_and_metadata():
    e, warnings = one(PLAIN)
    assert warnings == []
    assert (e.arxiv_id, e.title, e.date, e.line) == ("2405.01234", "Plain Paper", "2024-05-06", 3)
    assert e.votes == 12 and e.authors == ["Alice Kim", "Bob Lee"] and not e.authors_truncated
    assert e.thumbnail_url.endswith("2405.01234.png")
    assert e.sections == {"bullets": "첫 번째 요약입니다.\n두 번째 요약입니다."}
    assert e.summary == "- 첫 번째 요약입니다.\n- 두 번째 요약입니다."
    assert not e.structured and e.location == "digest.md:3"


@pytest.mark.parametrize("stars", ["**", "***"])
def test_structured_sections(stars):
    text = f"""## Daily Papers (2024-11-01)
### [S](https://arxiv.org/abs/2411.00001)
Vote: 3
Authors: A
- {stars}What's New{stars}: 새로운 점.
- {stars}Technical Details{stars}: 기술 내용.
- {stars}Performance Highlights{stars}: 성능.
- {stars}Ethical Considerations{stars}: 윤리.
"""
    e, warnings = one(text)
    assert warnings == []
    assert e.sections == {
        "whats_new": "새로운 점.",
        "technical_details": "기술 내용.",
        "performance_highlights": "성능.",
        "ethical_considerations": "윤리.",
    }
    assert e.structured and e.summary.count("\n") == 3


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("What's New", "whats_new"),
        ("What\u2019s New", "whats_new"),
        ("Technical Details", "technical_details"),
        ("Performance Highlights", "performance_highlights"),
        ("What's New - Related Work", "whats_new_related_work"),
        ("Conclusion and Future Work", "conclusion_and_future_work"),
        ("프로젝터 (Projector)", "프로젝터_projector"),
    ],
)
def test_section_key(name, key):
    assert section_key(name) == key


def test_malformed_emphasis_and_continuation_lines():
    text = """## Daily Papers (2025-03-12)
### [IMM](https://arxiv.org/abs/2503.07565)
- ***What's New***: 소개.
- ***Technical Details*: 세부 사항:
1) 첫째
  - 둘째
- **고찰**: 논의.
"""
    e, _ = one(text)
    assert e.sections == {"whats_new": "소개.", "technical_details": "세부 사항:\n1) 첫째\n- 둘째", "고찰": "논의."}


def test_missing_thumbnail_vote_authors_and_dash_vote():
    e, warnings = one("## Daily Papers (2023-11-20)\n\n### [T](https://arxiv.org/abs/2311.10122)\n\n- 요약.\n")
    assert (e.thumbnail_url, e.votes, e.authors) == (None, None, []) and warnings == []
    e, warnings = one("## Daily Papers (2024-08-26)\n### [T](https://arxiv.org/abs/2408.10945)\nVote: -\n- 요약.\n")
    assert e.votes is None and warnings == []


def test_video_lines_are_media_not_summary():
    text = """## Daily Papers (2023-11-22)
### [V](https://arxiv.org/abs/2311.12345)
[Watch Video](https://cdn-uploads.huggingface.co/a.mp4)
<div><video controls src="https://cdn-uploads.huggingface.co/b.mp4" muted="false"></video></div>
[Watch Video]https://cdn-uploads.huggingface.co/c.mp4
Authors: A
- 요약.
"""
    e, _ = one(text)
    assert e.media_urls == [f"https://cdn-uploads.huggingface.co/{x}.mp4" for x in "abc"]
    assert e.summary == "- 요약." and e.thumbnail_url is None


@pytest.mark.parametrize(
    ("line", "names", "truncated"),
    [
        ("Authors: A, B, C, +", ["A", "B", "C"], True),
        ("Authors: A, B, +, C, D", ["A", "B", "C", "D"], True),
        ("Authors: +, Z", ["Z"], True),
        ("Authors: Julian D. Parker, Julian D. Parker, Jie  Tang", ["Julian D. Parker", "Jie Tang"], False),
        ("Authors:", [], False),
    ],
)
def test_authors(line, names, truncated):
    e, _ = one(f"## Daily Papers (2024-03-14)\n### [T](https://arxiv.org/abs/2403.00001)\n{line}\n- x\n")
    assert (e.authors, e.authors_truncated) == (names, truncated)


@pytest.mark.parametrize(
    ("heading", "title", "aid"),
    [
        ("[[Title] with brackets (x)](https://arxiv.org/abs/2401.00001)", "[Title] with brackets (x)", "2401.00001"),
        ("[GPT-4V(ision) for Robotics](https://arxiv.org/abs/2311.12015v2)", "GPT-4V(ision) for Robotics", "2311.12015"),
        ("[M$^{2}$UGen: A & B](https://arxiv.org/abs/2311.11255)", "M$^{2}$UGen: A & B", "2311.11255"),
        ("[Pdf](https://arxiv.org/pdf/2401.00002v3.pdf)", "Pdf", "2401.00002"),
        ("[Old](http://arxiv.org/abs/hep-th/9901001v1)", "Old", "hep-th/9901001"),
        ("[HF](https://huggingface.co/papers/2402.00003)", "HF", "2402.00003"),
        ("[Spaced]( <https://arxiv.org/abs/2402.00004> )  ", "Spaced", "2402.00004"),
    ],
)
def test_split_heading(heading, title, aid):
    assert split_heading(heading) == (title, aid, None)


def test_link_not_at_end_is_found_with_a_warning():
    e, warnings = one("## Daily Papers (2024-01-02)\n### [T (x)](https://arxiv.org/abs/2401.00005) ICLR\n- a\n")
    assert (e.title, e.arxiv_id) == ("T (x)", "2401.00005")
    assert any("not at the end" in w for w in warnings)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2401.00001v2", "2401.00001"),
        ("arXiv:2401.00001", "2401.00001"),
        ("https://arxiv.org/abs/2401.00001", "2401.00001"),
        ("https://export.arxiv.org/pdf/2401.00001v1", "2401.00001"),
        ("math.GT/0309136v1", "math.GT/0309136"),
        ("https://arxiv.org/abs/2413.00001", None),  # month 13
        ("https://example.com/abs/2401.00001", None),
        ("2401.001", None),
    ],
)
def test_normalize_arxiv_id(raw, expected):
    assert normalize_arxiv_id(raw) == expected


def test_section_without_arxiv_link_is_skipped_with_warning():
    text = "## Daily Papers (2024-01-02)\n### Just a title\n- a\n### [Ok](https://arxiv.org/abs/2401.00006)\n- b\n"
    entries, warnings = parse_digest(text, "d.md")
    assert [e.arxiv_id for e in entries] == ["2401.00006"]
    assert warnings and warnings[0].startswith("d.md:2: paper section skipped")
    assert parse_bytes(text.encode(), "d.md").sections_skipped == 1


def test_date_from_path_when_header_missing_and_warning_when_neither():
    e, warnings = one("### [T](https://arxiv.org/abs/2401.00007)\n- a\n", "logs/2024/01/09.md")
    assert e.date == "2024-01-09" and warnings == []
    e, warnings = one("### [T](https://arxiv.org/abs/2401.00007)\n- a\n", "seed.txt")
    assert e.date is None and warnings == ["seed.txt:1: no date: no '## Daily Papers (YYYY-MM-DD)' header and no YYYY/MM/DD path"]


def test_header_date_wins_over_path_and_repeated_header_is_noted():
    text = ("## Daily Papers (2024-10-18)\n### [A](https://arxiv.org/abs/2410.00001)\n- a\n"
            "## Daily Papers (2024-10-18)\n### [B](https://arxiv.org/abs/2410.00002)\n- b\n")
    entries, warnings = parse_digest(text, "2024/10/19.md")
    assert [e.date for e in entries] == ["2024-10-18", "2024-10-18"]
    assert any(w.startswith("2024/10/19.md:1: header date") for w in warnings)
    assert any(w.startswith("2024/10/19.md:4: repeated") for w in warnings)


def test_python_list_literal_section_and_mangled_latex_tab():
    text = ("## Daily Papers (2024-07-16)\n### [L](https://arxiv.org/abs/2407.10457)\n"
            "- **Technical Details**: ['첫째 항목.', '둘째, \"인용\" 항목.']\n"
            "- **Performance Highlights**: (\textit{HR-ED}) 성능.\n")
    e, warnings = one(text)
    assert e.sections["technical_details"] == '첫째 항목.\n둘째, "인용" 항목.'
    assert e.sections["performance_highlights"] == "(\\textit{HR-ED}) 성능."
    assert len(warnings) == 2


def test_entry_without_summary_is_kept_with_warning():
    e, warnings = one("## Daily Papers (2024-01-02)\n### [T](https://arxiv.org/abs/2401.00008)\nVote: 2\n")
    assert e.summary == "" and e.sections == {}
    assert warnings == ["digest.md:2: paper 2401.00008 has no summary text"]


def test_crlf_bom_and_hashtag_text():
    text = "\ufeff## Daily Papers (2024-01-02)\r\n### [T](https://arxiv.org/abs/2401.00009)\r\n- a\r\n#hashtag stays\r\n"
    result = parse_bytes(text.encode("utf-8"), "x.md")
    assert result.warnings == []
    e = result.entries[0]
    assert (e.date, e.summary) == ("2024-01-02", "- a\n#hashtag stays")


def test_parse_file_survives_bad_files(tmp_path: Path):
    korean = PLAIN.encode("cp949")
    (tmp_path / "cp949.md").write_bytes(korean)
    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "blank.md").write_bytes(b"\n \n")
    (tmp_path / "binary.md").write_bytes(b"\x89PNG\r\n\x00\x00garbage")
    (tmp_path / "notes.md").write_text("just some notes\n- a list\n", encoding="utf-8")
    one_bad_byte = PLAIN.encode("utf-8").replace("두 번째".encode(), b"\xff\xfe", 1)
    (tmp_path / "badbyte.md").write_bytes(one_bad_byte)

    r = parse_file(tmp_path / "cp949.md")
    assert not r.skipped and r.entries[0].summary.startswith("- 첫 번째") and "CP949" in r.warnings[0]
    for name in ("empty.md", "blank.md", "binary.md", "notes.md"):
        r = parse_file(tmp_path / name)
        assert r.skipped and r.entries == [] and len(r.warnings) == 1, name
        assert WARNING.match(r.warnings[0])
    r = parse_file(tmp_path / "badbyte.md")
    assert not r.skipped and r.entries[0].arxiv_id == "2405.01234"
    assert re.match(r".*badbyte\.md:12: 2 invalid UTF-8", r.warnings[0])
    r = parse_file(tmp_path / "missing.md")
    assert r.skipped and "unreadable" in r.warnings[0]
    r = parse_file(tmp_path)  # a directory is not a file
    assert r.skipped

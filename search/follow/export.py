"""Export a result list (search, similar, a topic, an author, a watch) as BibTeX, CSV or JSON Lines.

Records are whatever the search layer hands out: search.schemas.SearchResult or indexer Paper records
(fields a record lacks are left empty). Formats are registered by name (`format=bibtex|csv|jsonl` on the
API, `--format` on the CLI).

CSV is UTF-8 with a byte-order mark: Excel reads a BOM-less UTF-8 file as the local code page and garbles
Korean and accents, while csv readers, pandas and LibreOffice accept the BOM (decode with "utf-8-sig").
A text cell that starts with `= + - @` or a tab/CR gets a leading apostrophe, so a spreadsheet never runs a
title as a formula (CSV injection); ids, dates and numbers are written as they are.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from papersearch.registry import Registry
from search.follow.bibtex import BibRecord, to_bibtex

CSV_COLUMNS = ("arxiv_id", "title", "authors", "first_date", "dates", "votes", "score", "cluster", "arxiv_url",
               "summary", "abstract")
TEXT_COLUMNS = frozenset({"title", "authors", "summary", "abstract"})
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
AUTHOR_SEP = "; "
BOM = "\ufeff"


@dataclass(frozen=True)
class ExportFormat:
    media_type: str
    extension: str
    render: Callable[[Sequence[BibRecord]], str]

    def filename(self, stem: str) -> str:
        return f"{stem}.{self.extension}"


EXPORTS: Registry[ExportFormat] = Registry("export format")


def record_dict(r: Any) -> dict[str, Any]:
    """A record as plain JSON-able data, every field it has (pydantic model, Paper, or any dataclass)."""
    if hasattr(r, "model_dump"):
        return r.model_dump(mode="json")
    if hasattr(r, "to_dict"):
        return r.to_dict()
    if dataclasses.is_dataclass(r) and not isinstance(r, type):
        return dataclasses.asdict(r)
    raise TypeError(f"cannot export a {type(r).__name__}")


def _cell(column: str, value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if column in TEXT_COLUMNS and text.startswith(FORMULA_START) else text


def csv_row(r: BibRecord) -> dict[str, str]:
    """One CSV row: lists joined (authors by "; ", dates by spaces), absent fields empty."""
    values = {
        "arxiv_id": r.arxiv_id, "title": " ".join(r.title.split()), "authors": AUTHOR_SEP.join(r.authors),
        "first_date": min(r.dates) if r.dates else None, "dates": " ".join(sorted(r.dates)),
        "votes": getattr(r, "votes", None), "score": getattr(r, "score", None), "cluster": getattr(r, "cluster", None),
        "arxiv_url": r.arxiv_url, "summary": getattr(r, "summary", None), "abstract": getattr(r, "abstract", None),
    }
    return {c: _cell(c, values[c]) for c in CSV_COLUMNS}


def to_csv(records: Sequence[BibRecord]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\r\n")  # RFC 4180 line ends
    w.writeheader()
    w.writerows(csv_row(r) for r in records)
    return BOM + buf.getvalue()


def to_jsonl(records: Sequence[BibRecord]) -> str:
    return "".join(json.dumps(record_dict(r), ensure_ascii=False) + "\n" for r in records)


EXPORTS.add("bibtex", ExportFormat("application/x-bibtex; charset=utf-8", "bib", to_bibtex))
EXPORTS.add("csv", ExportFormat("text/csv; charset=utf-8", "csv", to_csv))
EXPORTS.add("jsonl", ExportFormat("application/x-ndjson; charset=utf-8", "jsonl", to_jsonl))


def export(records: Sequence[BibRecord], fmt: str) -> str:
    """The records in format `fmt`; an unknown name raises UnknownStrategy listing the valid ones."""
    return EXPORTS.get(fmt).render(records)

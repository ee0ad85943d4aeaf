"""Reading digest files: bytes -> text (tolerating bad encodings) -> parsed entries. Never raises."""
from __future__ import annotations

from pathlib import Path

from indexer.ingest.parser import ParsedFile, parse_text


def decode_bytes(data: bytes) -> tuple[str, str | None]:
    """(text, problem): strict UTF-8, else UTF-8 with replacement for a few bad bytes, else CP949."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        first_bad_line = data[: exc.start].count(b"\n") + 1
        text = data.decode("utf-8-sig", errors="replace")
        bad = text.count("\ufffd")
        if bad * 100 <= max(len(text), 1):
            return text, f"{first_bad_line}: {bad} invalid UTF-8 byte sequence(s) replaced"
        try:
            return data.decode("cp949"), "1: not UTF-8; decoded as CP949"
        except UnicodeDecodeError:
            return text, f"{first_bad_line}: not valid UTF-8; {bad} byte sequence(s) replaced"


def parse_bytes(data: bytes, source: str) -> ParsedFile:
    """Decode and parse one file's bytes. Never raises: empty, binary or non-digest input comes back `skipped`."""
    if not data.strip():
        return ParsedFile(source, warnings=[f"{source}:1: empty file skipped"], skipped=True)
    if b"\x00" in data[:8192]:
        return ParsedFile(source, warnings=[f"{source}:1: binary file skipped"], skipped=True)
    text, problem = decode_bytes(data)
    result = parse_text(text, source)
    if problem:
        result.warnings.insert(0, f"{source}:{problem}")
    return result


def parse_file(path: Path | str, source: str | None = None) -> ParsedFile:
    """Read and parse one file (`source` defaults to its path). Never raises; an unreadable file comes back `skipped`."""
    p = Path(path)
    src = source if source is not None else p.as_posix()
    try:
        data = p.read_bytes()
    except OSError as exc:
        return ParsedFile(src, warnings=[f"{src}:1: unreadable file skipped: {exc.strerror or exc}"], skipped=True)
    return parse_bytes(data, src)

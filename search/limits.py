"""Request limits and validation in one place: the engine, the API and the CLI refuse the same requests the same way.

QueryError and NotFoundError are the caller's mistakes (400/422 and 404), never server errors.
"""
from __future__ import annotations

import numbers
from collections.abc import Collection

MAX_K = 100
MAX_QUERY_CHARS = 500


class QueryError(ValueError):
    """The request itself is wrong (empty query, bad k): a 400/422, not a server error."""


class NotFoundError(LookupError):
    pass


def valid_text(text: str) -> str:
    """Lone surrogates (JSON allows "\\ud800") become U+FFFD: they cannot be tokenised or encoded in a response."""
    return text if text.isascii() else text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def check_k(k: int) -> None:
    """numpy integers pass (notebooks); bools and floats do not."""
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise QueryError(f"k must be between 1 and {MAX_K}, got {k}")


def check(query: str, k: int) -> tuple[str, list[str]]:
    """The query as searched (whitespace collapsed, cut to MAX_QUERY_CHARS) and the notices saying what changed."""
    check_k(k)
    q = " ".join(valid_text(query or "").split())
    if not q:
        raise QueryError("the query is empty")
    notices = []
    if len(q) > MAX_QUERY_CHARS:
        q = q[:MAX_QUERY_CHARS]
        notices.append(f"query cut to its first {MAX_QUERY_CHARS} characters")
    return q, notices


def check_method(method: str | None, allowed: Collection[str], learned_ships: bool, fallback: str) -> str:
    """The requested ranker, validated; by default the learned one where its weights ship, else `fallback`."""
    if method is None:
        return "learned" if learned_ships else fallback
    if method not in allowed:
        raise QueryError(f"method must be one of {', '.join(allowed)}, got {method!r}")
    if method == "learned" and not learned_ships:
        raise QueryError("no learned ranker is installed (search/rankers/fusion_weights.json); choose another method")
    return method

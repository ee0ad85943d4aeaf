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


def live_rankers(pending: Collection[str], names: Collection[str]) -> list[str] | None:
    """The rankers a partial index (a quick first pass, `pending` what it lacks) can answer with; None: all.
    Keywords alone: lexical; with the title vectors: every ranker but the learned one, which reads the rest."""
    if not pending:
        return None
    return [m for m in names if m == "lexical" or ("title" not in pending and m != "learned")]


def building_notice(pending: Collection[str], method: str) -> list[str]:
    """What a response answered from a partial index says: the ranker it used and what is still to come."""
    if not pending:
        return []
    return [f"the index is still being built: answered by the {method} ranker; {', '.join(pending)} to come"]


def check_method(method: str | None, allowed: Collection[str], learned_ships: bool, fallback: str,
                 live: Collection[str] | None = None, not_live: str = "") -> str:
    """The requested ranker, validated; by default the learned one where its weights ship, else `fallback`, each
    only where it is `live` (None: all are; else lexical). A ranker not live yet is refused with `not_live`."""
    def is_live(m: str) -> bool:
        return live is None or m in live

    if method is None:
        if learned_ships and is_live("learned"):
            return "learned"
        return fallback if is_live(fallback) else "lexical"
    if method not in allowed:
        raise QueryError(f"method must be one of {', '.join(allowed)}, got {method!r}")
    if method == "learned" and not learned_ships:
        raise QueryError("no learned ranker is installed (search/rankers/fusion_weights.json); choose another method")
    if not is_live(method):
        raise QueryError(f"the {method} ranker is not live yet: {not_live}; choose {', '.join(live or [])}, "
                         "or wait for the build")
    return method

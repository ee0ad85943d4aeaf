"""Request limits and validation (search.limits): the engine, the API and the CLI refuse the same requests."""
import re

import numpy as np
import pytest

from search.limits import MAX_K, MAX_QUERY_CHARS, QueryError, building_notice, check, check_k, check_method, valid_text
from search.rankers.query import METHODS
from search.rankers.similar import SIMILAR_METHODS


def test_check_collapses_whitespace_and_cuts_long_queries_with_a_notice():
    assert check("  video \n\t generation ", 5) == ("video generation", [])
    q, notices = check("x" * (MAX_QUERY_CHARS + 10), 1)
    assert len(q) == MAX_QUERY_CHARS and notices == [f"query cut to its first {MAX_QUERY_CHARS} characters"]
    for empty in ("", " \t\n", None):
        with pytest.raises(QueryError, match="the query is empty"):
            check(empty, 5)


def test_k_is_an_integer_within_the_limit():
    for k in (1, MAX_K, np.int64(3)):  # numpy integers come from notebooks
        check_k(k)
    for bad in (0, MAX_K + 1, -1, True, 2.0, "3"):
        with pytest.raises(QueryError, match="k must be between 1 and"):
            check_k(bad)
    with pytest.raises(QueryError, match="k must be"):
        check("model", 0)  # k is checked before the query


def test_lone_surrogates_become_replacement_characters():
    out = valid_text("a\ud800b")
    assert out.encode("utf-8") == "a\ufffd\ufffd\ufffdb".encode("utf-8")  # one U+FFFD per byte it was
    assert valid_text("비디오 생성") == "비디오 생성" and valid_text("plain") == "plain"
    q, _ = check("\udfff model", 1)
    assert q.encode("utf-8") and q.endswith(" model") and "\udfff" not in q


def test_methods_are_checked_by_name_with_the_learned_default_where_it_ships():
    assert check_method(None, METHODS, True, "hybrid") == "learned"
    assert check_method(None, METHODS, False, "hybrid") == "hybrid"
    assert check_method(None, SIMILAR_METHODS, False, "dense") == "dense"
    assert check_method("lexical", METHODS, False, "hybrid") == "lexical"
    with pytest.raises(QueryError, match=re.escape("method must be one of lexical, dense, hybrid, learned, got 'magic'")):
        check_method("magic", METHODS, True, "hybrid")
    with pytest.raises(QueryError, match=re.escape("method must be one of dense, lexical, learned, got 'hybrid'")):
        check_method("hybrid", SIMILAR_METHODS, True, "dense")
    with pytest.raises(QueryError, match="no learned ranker is installed"):
        check_method("learned", METHODS, False, "hybrid")


def test_building_notice_only_while_something_is_pending():
    assert building_notice([], "learned") == []
    assert building_notice(["summary", "topics"], "hybrid") == [
        "the index is still being built: answered by the hybrid ranker; summary, topics to come"]

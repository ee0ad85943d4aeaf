"""Watch requests: the three kinds, and validation errors that name the field (the API's 422, the CLI's flag)."""
from datetime import date

import pytest

from search.follow.models import SPEC, AuthorSpec, InvalidWatch, QuerySpec, SeedsSpec, parse_request
from search.limits import MAX_K, MAX_QUERY_CHARS


def test_a_query_watch_takes_the_search_filters_and_method():
    spec, name = parse_request({"query": "  KV  캐시\n압축 ", "min_votes": 5, "date_from": "2024-04-01",
                                "author": " Ziwei  Liu ", "cluster": 3, "method": "hybrid", "name": " 내 피드 "})
    assert isinstance(spec, QuerySpec) and name == "내 피드"
    assert spec.query == "KV 캐시 압축"  # whitespace collapsed as the search box does
    f = spec.filters()
    assert (f.min_votes, f.date_from, f.author, f.cluster) == (5, date(2024, 4, 1), "Ziwei Liu", 3)
    assert spec.method == "hybrid" and spec.title() == "KV 캐시 압축"


def test_seed_and_author_watches():
    spec, name = parse_request({"positive": ["https://arxiv.org/abs/2404.12253v2", "2404.12253"],
                                "negative": ["arXiv:2404.03592"]})
    assert isinstance(spec, SeedsSpec) and name is None
    assert spec.positive == ["2404.12253"] and spec.negative == ["2404.03592"]  # normalised, de-duplicated
    spec, _ = parse_request({"author": "  Ziwei   Liu "})
    assert spec == AuthorSpec(author="Ziwei Liu")


def test_a_spec_survives_its_json_round_trip():
    for body in ({"query": "비디오 생성", "date_to": "2024-05-01", "min_votes": 0}, {"positive": ["2404.12253"]},
                 {"author": "Jörg Müller"}):
        spec, _ = parse_request(body)
        assert SPEC.validate_json(spec.model_dump_json()) == spec


@pytest.mark.parametrize("body, field, words", [
    ({"query": "   "}, "query", "empty"),
    ({"query": "가" * (MAX_QUERY_CHARS + 1)}, "query", f"longer than {MAX_QUERY_CHARS}"),
    ({"query": 5}, "query", "string"),
    ({"query": "a", "min_votes": -1}, "min_votes", "greater than or equal to 0"),
    ({"query": "a", "date_from": "2024-05-01", "date_to": "2024-04-01"}, "date_to", "before date_from"),
    ({"query": "a", "date_from": "yesterday"}, "date_from", "date"),
    ({"query": "a", "cluster": 10**9}, "cluster", "less than or equal"),
    ({"query": "a", "author": "x" * 201}, "author", "at most 200"),
    ({"query": "a", "method": "magic"}, "method", "learned"),
    ({"query": "a", "mood": "happy"}, "mood", "not permitted"),
    ({"positive": []}, "positive", "at least 1"),
    ({"positive": ["not-an-id"]}, "positive", "not an arXiv id"),
    ({"positive": ["2404.12253"] * 2 + [f"2404.{i:05d}" for i in range(MAX_K)]}, "positive", f"at most {MAX_K}"),
    ({"positive": ["2404.12253"], "negative": ["2404.12253v1"]}, "negative", "both positive and negative"),
    ({"positive": ["2404.12253"], "method": "hybrid"}, "method", "dense"),
    ({"author": " "}, "author", "at least 1"),
    ({"query": "a", "author": "b", "positive": ["2404.12253"]}, "positive", "not permitted"),
    ({"author": "b", "positive": ["2404.12253"]}, "author", "not permitted"),
    ({}, "query", "give one of"),
    ({"query": "a", "name": "n" * 201}, "name", "longer than 200"),
    ({"query": "a", "kind": "seeds"}, "kind", "query watch"),
])
def test_every_invalid_request_names_its_field(body, field, words):
    with pytest.raises(InvalidWatch) as err:
        parse_request(body)
    assert err.value.field == field
    assert words in err.value.message, err.value.message
    assert str(err.value).startswith(f"{field}: ")


def test_the_query_limit_is_the_search_engines():
    ok, _ = parse_request({"query": "가" * MAX_QUERY_CHARS})
    assert len(ok.query) == MAX_QUERY_CHARS

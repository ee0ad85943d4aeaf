"""The per-field embedding plan (indexer.pipeline.fields): what a build encodes when an abstract arrives, a
field changes, a paper is only in the feed, or the store predates per-field hashes."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from indexer.ingest.records import Paper
from indexer.pipeline.fields import OldVectors, assemble, load_old, plan_fields, previous_hashes
from indexer.storage.layout import Generation

DIM = 4


def digest_paper(i: int, **kw) -> Paper:
    return Paper(arxiv_id=f"2406.{i:05d}", title=f"Title {i}", summary=f"- 요약 {i}", sections={"bullets": f"요약 {i}"},
                 **kw)


def served(rows: list[tuple[int, Paper]], fields=("title", "summary")) -> OldVectors:
    """A served generation holding one vector per field for every row (what the previous release wrote)."""
    n = len(rows)
    return OldVectors(rows={rid: i for i, (rid, _) in enumerate(rows)},
                      mats={f: np.eye(n, DIM, k=0, dtype=np.float32) for f in fields},
                      present={f: np.ones(n, dtype=bool) for f in fields})


def jobs_of(plan) -> dict[str, list[int]]:
    return {f: [rid for rid, _ in js] for f, js in plan.jobs.items() if js}


def test_legacy_rows_reuse_title_and_summary_and_encode_only_new_abstracts():
    old_rows = [(1, digest_paper(1)), (2, digest_paper(2))]
    before = {rid: (p.content_hash(), None) for rid, p in old_rows}   # a store from before per-field hashes
    rows = [(1, replace(digest_paper(1), abstract="An abstract.")), (2, digest_paper(2)),
            (3, Paper("2406.00003", "Only In The Feed", abstract="Feed abstract."))]
    plan = plan_fields(rows, before, served(old_rows))
    assert jobs_of(plan) == {"abstract": [1, 3], "title": [3]}   # nothing re-encoded; no summary for paper 3
    assert (plan.new, plan.changed, [r for r, _ in plan.todo]) == (1, 1, [1, 3])
    assert plan.texts == {"abstract": 2, "title": 1}


def test_a_changed_field_is_the_only_one_encoded_once_hashes_are_stored():
    rows = [(1, replace(digest_paper(1), abstract="An abstract."))]
    old = served(rows, ("title", "summary", "abstract"))
    before = {1: (rows[0][1].content_hash(), rows[0][1].field_hashes())}
    assert plan_fields(rows, before, old).todo == []
    retitled = [(1, replace(rows[0][1], title="A Better Title"))]
    assert jobs_of(plan_fields(retitled, before, old)) == {"title": [1]}
    revised = [(1, replace(rows[0][1], abstract="A revised abstract."))]
    assert jobs_of(plan_fields(revised, before, old)) == {"abstract": [1]}
    assert jobs_of(plan_fields(rows, before, old, everything=True)) == {"summary": [1], "abstract": [1], "title": [1]}


def test_legacy_row_whose_digest_text_changed_reencodes_both_and_missing_vectors_are_encoded():
    p = digest_paper(1)
    before = {1: (p.content_hash(), None)}
    assert previous_hashes(replace(p, summary="- 바뀐 요약"), before[1]) == {}
    assert jobs_of(plan_fields([(1, replace(p, summary="- 바뀐 요약", sections={"bullets": "바뀐 요약"}))], before,
                               served([(1, p)]))) == {"summary": [1], "title": [1]}
    # a row the served generation has no vectors for (an interrupted history): everything it has
    assert jobs_of(plan_fields([(1, p)], before, OldVectors())) == {"summary": [1], "title": [1]}


def test_assemble_carries_fresh_and_zero_rows_with_presence_masks(tmp_path):
    gen = Generation(tmp_path)
    rows = [(1, replace(digest_paper(1), abstract="A.")), (2, digest_paper(2)), (3, Paper("2406.00003", "Feed only"))]
    old = served(rows[:2])
    fresh = {1: {"abstract": np.full(DIM, 0.5, np.float32)}, 3: {"title": np.full(DIM, 0.25, np.float32)}}
    per_field, presence = assemble(gen, rows, fresh, old, DIM)
    assert presence["summary"].tolist() == [True, True, False] and presence["abstract"].tolist() == [True, False, False]
    assert np.array_equal(per_field["title"][:2], old.mats["title"][:2]) and (per_field["title"][2] == 0.25).all()
    assert not per_field["summary"][2].any() and not per_field["abstract"][1:].any()
    again = load_old(None), load_old(gen)
    assert again[0].rows == {}  # no served generation
    np.save(gen.ids, np.array([1, 2, 3], dtype=np.int64))
    loaded = load_old(gen)
    assert loaded.has(1, "abstract") and not loaded.has(2, "abstract") and not loaded.has(3, "summary")
    gen.presence("title").unlink()  # a generation from before presence masks: every row had a vector
    assert load_old(gen).present["title"].all()

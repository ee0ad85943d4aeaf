"""The Kiwi token cache a build keeps in the store: staleness by content and tokenizer version."""
from __future__ import annotations

import pytest

from indexer.ingest.records import Paper
from indexer.pipeline.lexical_cache import Background, stale_tokens, tokenize_papers
from indexer.storage.store import PaperStore
from indexer.text.tokenize import TOKENIZER_VERSION


def _papers() -> list[Paper]:
    return [Paper(arxiv_id="2401.00001", title="Speculative Decoding at Scale", summary="- 추측 디코딩을 대규모로 적용합니다."),
            Paper(arxiv_id="2401.00002", title="KV Cache Compression", summary="- KV 캐시를 압축합니다.")]


def test_tokens_are_stale_until_stored_and_again_when_the_paper_changes(tmp_path):
    with PaperStore(tmp_path / "papers.sqlite") as store:
        store.upsert(_papers())
        rows = store.all()
        assert [p.arxiv_id for _, p in stale_tokens(store, rows)] == ["2401.00001", "2401.00002"]
        computed = tokenize_papers(rows)
        assert all(r[2] == TOKENIZER_VERSION and r[3] and r[4] for r in computed)  # title and summary tokens
        store.put_lexical(computed)
        assert stale_tokens(store, rows) == []
        changed = Paper(arxiv_id="2401.00002", title="KV Cache Compression", summary="- 다른 요약입니다.")
        store.upsert([changed])
        assert [p.arxiv_id for _, p in stale_tokens(store, store.all())] == ["2401.00002"]


def test_background_work_reraises_in_the_build_thread():
    with pytest.raises(ZeroDivisionError):
        Background(lambda: 1 / 0).result()
    assert Background(lambda x: x + 1, 1).result() == 2

"""The rows topics are computed from, assembled the same way by the build, the notebooks and the bench."""
from __future__ import annotations

import numpy as np

from indexer.dense.vectors import combine
from indexer.ingest.records import Paper
from indexer.reading.reader import LoadedIndex
from indexer.topics.clusters import TopicInput
from indexer.topics.space import topic_vectors, unit_rows


def topic_input(papers: list[Paper], index_vectors: np.ndarray, title_vectors: np.ndarray,
                title_tokens: list[list[str]], summary_tokens: list[list[str]], suspect: np.ndarray) -> TopicInput:
    vectors = unit_rows(index_vectors)
    return TopicInput(papers, vectors, topic_vectors(vectors, title_vectors, title_tokens, summary_tokens, suspect),
                      summary_tokens, np.asarray(suspect, dtype=bool))


def from_index(idx: LoadedIndex) -> TopicInput:
    """The served generation's topic input: the vectors its FAISS index holds, its tokens and suspect rows."""
    by_row = dict(idx.store.all())
    lex = idx.store.lexical_tokens()
    suspect = idx.suspicion().suspect
    adapters = idx.adapters
    vectors = combine(idx.vectors, idx.manifest.weights, suspect,
                      adapters.summary_predictor)
    empty: tuple[list[str], list[str]] = ([], [])
    rids = [int(r) for r in idx.ids]
    return topic_input([by_row[r] for r in rids], vectors, idx.vectors["title"],
                       [lex.get(r, empty)[0] for r in rids], [lex.get(r, empty)[1] for r in rids], suspect)

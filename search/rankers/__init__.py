"""The rankers, each a full-length score array aligned with the index rows: fusion strategies (fusion.py,
FUSIONS), the hybrid knobs and rank modes (ranking.py), the trained linear fusion and its shipped weights
(learned.py, fusion_weights.json), and the rankers by name for queries (query.py, METHODS) and for
"more like these" (similar.py, SIMILAR_METHODS). They read the index through search.index_view.IndexView
and search.features, never the engine; like the rest of search they may import models, the neutral
papersearch modules and indexer's read-side families, never indexer.pipeline.
"""

"""The rankers, each a full-length score array aligned with the index rows: fusion strategies (fusion.py,
FUSIONS), the hybrid knobs and rank modes (ranking.py), and the trained linear fusion with its shipped
weights (learned.py, fusion_weights.json). Like the rest of search they may import models, the neutral
papersearch modules and indexer's read-side families, never indexer.pipeline.
"""

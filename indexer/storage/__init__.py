"""What lies on disk: the data-dir layout with atomic generation swaps, the manifest, the SQLite paper
store and the ANN index backends. May import ingest.
"""

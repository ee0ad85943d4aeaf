"""The read side at query time: one loaded index generation answers searches, find-similar and topic pages.

Here live the engine (engine.py) and what it is made of: request limits (limits.py), filters, the BM25
index, the frozen IndexView of the arrays the rankers read (index_view.py), ranking features, dense
search inside FAISS, result and snippet assembly, the shared response schemas, and the rankers
themselves (rankers/). It may import models, papersearch.settings / papersearch.registry and the read-side
families of indexer (ingest, storage, text, dense, topics, reading), never indexer.pipeline (the build;
SearchEngine.open still borrows its embedder_for until loading a model moves to models); api and the CLI
import it, never the other way round.
"""

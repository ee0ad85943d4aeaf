"""Text handling without a model: Kiwi tokenization, the cross-lingual lexicon, query glossing and the
passages each paper is encoded from. May import ingest and storage.
"""

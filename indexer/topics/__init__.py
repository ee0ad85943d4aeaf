"""Topic clusters for the notebooks and the API: clustering, the topic graph, labels, quality scores,
the 2-D map, trends, incremental updates and plots. May import ingest, storage, text and dense.
"""

"""Fits on the dense vectors: vector normalisation and weighting, summary/title agreement (the wrong-
summary flag) and the query-space adapter. May import ingest, storage and text.
"""

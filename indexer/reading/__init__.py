"""The read side of a built generation: the reader the server opens, verification against the corpus
and index statistics. May import every family above except pipeline.
"""

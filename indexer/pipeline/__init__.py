"""The build itself: orchestration, the steps, corpus-wide fits with their carry rule, encoding, the
token cache and step timing. The top of indexer; nothing in indexer imports it.
"""

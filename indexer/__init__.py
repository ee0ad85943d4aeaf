"""Turns the digest and the feed into an on-disk index generation. Subpackages by family, imported one
way only: ingest < storage < text < dense < topics < reading < pipeline (a family may import the
ones before it, never after); all of them may import models and papersearch.settings, none imports
search, api or the CLI.
"""

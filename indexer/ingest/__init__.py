"""Reading the raw inputs: the digest day-file parser, the Hugging Face feed reader and `fetch` (its days
downloaded), the corpus merge across days, versions and the two sources, arXiv id rules and the record
dataclasses every other family passes around. Imports nothing of the package
but itself.
"""

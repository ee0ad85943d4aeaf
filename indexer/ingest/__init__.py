"""Reading the raw inputs: the day-file parser, the corpus merge across days and versions, arXiv id
rules and the record dataclasses every other family passes around. Imports nothing of the package
but itself.
"""

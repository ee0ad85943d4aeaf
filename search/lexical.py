"""BM25 over Korean-summary morphemes, English-title and English-abstract words, per field, with weighted queries.

Documents are the tokens cached in the store at build time (tokenising the
whole corpus with Kiwi takes about a minute; a search process must not).
Scores are one sparse matrix product: each field is a (docs x vocabulary)
matrix of BM25 term contributions (Lucene idf, k1/b length normalisation), so a
query is a weighted term vector. Weighted terms are what lexicon expansion
needs (expanded terms count less than the user's own), and separate title and
summary fields are what the learned fusion and find-similar need.

Fields: "all" (title tokens repeated `title_boost` times + summary: a title hit
counts more than one passing mention in a long summary), "title", "summary",
"abstract" (the feed's English abstract; empty for a paper without one, so its own
field: "all" stays what it was and the rankers decide how much an abstract hit counts).
"""
from __future__ import annotations

from collections import Counter

import numpy as np
from scipy import sparse

from indexer.text.tokenize import tokens

FIELDS = ("all", "title", "summary", "abstract")


class _Field:
    def __init__(self, docs: list[list[str]], vocab: dict[str, int], k1: float, b: float, sparse_field: bool = False):
        """`sparse_field`: a field many documents lack (the abstract): idf and average length count only the
        documents that have it (Lucene's docCount), so its scores do not move with the corpus's coverage."""
        n = len(docs)
        rows, cols, tfs = [], [], []
        for i, d in enumerate(docs):
            for t, c in Counter(d).items():
                rows.append(i)
                cols.append(vocab[t])
                tfs.append(c)
        tf = np.asarray(tfs, dtype=np.float32)
        col = np.asarray(cols, dtype=np.int64)
        row = np.asarray(rows, dtype=np.int64)
        dl = np.asarray([len(d) for d in docs], dtype=np.float32)
        has = dl > 0 if sparse_field else np.ones(n, dtype=bool)
        avgdl = float(dl[has].mean()) if has.any() and dl[has].mean() > 0 else 1.0
        df = np.bincount(col, minlength=len(vocab)).astype(np.float32)
        count = int(has.sum())
        self.idf = np.log1p((count - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = k1 * (1 - b + b * dl[row] / avgdl) if len(row) else np.empty(0, dtype=np.float32)
        w = self.idf[col] * tf / (tf + norm)
        self.matrix = sparse.csc_matrix((w.astype(np.float32), (row, col)), shape=(n, len(vocab)))
        self.csr = self.matrix.tocsr()

    def take(self, rows: np.ndarray, cols: np.ndarray) -> _Field:
        """These documents over these terms; the matrix dense: picking a few columns of a small dense array
        costs far less than of a sparse one, which is what scoring a day's papers for many queries does."""
        out = object.__new__(_Field)
        out.idf, out.csr = self.idf[cols], self.csr[rows][:, cols]
        out.matrix = out.csr.toarray()
        return out


class LexicalIndex:
    def __init__(self, title_tokens: list[list[str]], summary_tokens: list[list[str]], title_boost: int = 2,
                 k1: float = 1.2, b: float = 0.75, abstract_tokens: list[list[str]] | None = None):
        self.n = len(title_tokens)
        abstract_tokens = abstract_tokens if abstract_tokens is not None else [[] for _ in title_tokens]
        self.vocab: dict[str, int] = {}
        for d in (*title_tokens, *summary_tokens, *abstract_tokens):
            for t in d:
                self.vocab.setdefault(t, len(self.vocab))
        docs = {
            "all": [t * title_boost + s for t, s in zip(title_tokens, summary_tokens)],
            "title": title_tokens,
            "summary": summary_tokens,
            "abstract": abstract_tokens,
        }
        self.fields = {f: _Field(d, self.vocab, k1, b, sparse_field=f == "abstract") for f, d in docs.items()}

    def take(self, rows: np.ndarray) -> LexicalIndex:
        """The index of some documents only, over their own terms. Their term contributions keep the whole
        corpus's idf and average length, so each scores as in the whole index (scoring a day's new papers)."""
        cols = np.unique(np.concatenate([f.csr[rows].indices for f in self.fields.values()]))
        inv = self.terms()
        out = object.__new__(LexicalIndex)
        out.n, out.vocab = len(rows), {inv[c]: i for i, c in enumerate(cols.tolist())}
        out.fields = {name: f.take(rows, cols) for name, f in self.fields.items()}
        return out

    @classmethod
    def from_fields(cls, title_tokens: list[list[str]], summary_tokens: list[list[str]], title_boost: int = 2,
                    abstract_tokens: list[list[str]] | None = None) -> LexicalIndex:
        return cls(title_tokens, summary_tokens, title_boost, abstract_tokens=abstract_tokens)

    def scores(self, query: str | list[str] | dict[str, float], field: str = "all") -> np.ndarray:
        """BM25 score of every document (aligned with the index rows); zeros where no term matches.

        A list counts repeated terms repeatedly; a dict gives each term its own weight.
        """
        if field not in self.fields:
            raise ValueError(f"unknown BM25 field {field!r}; expected one of {', '.join(FIELDS)}")
        if isinstance(query, str):
            query = tokens(query)
        weights = Counter(query) if isinstance(query, list) else query
        cols = [(self.vocab[t], w) for t, w in weights.items() if t in self.vocab and w]
        if not cols or self.n == 0:
            return np.zeros(self.n, dtype=np.float32)
        m = self.fields[field].matrix
        idx = np.fromiter((c for c, _ in cols), dtype=np.int64)
        w = np.fromiter((x for _, x in cols), dtype=np.float32)
        return np.asarray(m[:, idx] @ w, dtype=np.float32).ravel()

    def trusted_scores(self, query: list[str] | dict[str, float], suspect: np.ndarray) -> np.ndarray:
        """BM25 over title + summary, but over the title alone where the summary is suspect
        (it describes another paper, so its words must not match)."""
        out = self.scores(query, "all")
        if suspect.any():
            out = np.where(suspect, self.scores(query, "title"), out).astype(np.float32)
        return out

    def top_terms(self, pos: int, n: int = 30, field: str = "all") -> dict[str, float]:
        """A document's n most distinctive terms by BM25 weight (the query of "more like this")."""
        row = self.fields[field].csr[pos]
        order = np.argsort(-row.data)[:n]
        inv = self.terms()
        return {inv[int(row.indices[i])]: float(row.data[i]) for i in order}

    def doc_terms(self, pos: int, field: str = "title") -> list[str]:
        """The distinct terms of one document's field."""
        inv = self.terms()
        return [inv[int(i)] for i in self.fields[field].csr[pos].indices]

    def terms(self) -> list[str]:
        """Vocabulary by column index."""
        if not hasattr(self, "_inv"):
            self._inv = [""] * len(self.vocab)
            for t, i in self.vocab.items():
                self._inv[i] = t
        return self._inv

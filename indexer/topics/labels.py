"""Labels a person would write: 2-4 distinctive key phrases per topic, English and Korean.

Candidates are 1-3 word phrases of titles (never across ":" or ",") and 1-2 word
runs of Korean summary nouns (never a suspect summary), scored by how much more
often papers of the topic use them than papers overall (c-TF-IDF over documents,
as BERTopic does over words). Case and plurals are merged ("LLMs" = "llm"); a
word on the generic list, or already used by 10% of the labels, is not reused, so
"language · llm · llms" cannot happen; among the best candidates, MMR with the
embedding model keeps phrases that say different things.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

import numpy as np

from indexer.text.tokenize import EN_STOPWORDS
from indexer.topics.quality import GENERIC_LABEL_TERMS, MAX_LABEL_SHARE, norm_term

Encode = Callable[[list[str]], np.ndarray]
MAX_EN, MAX_KO = 3, 1          # phrases per label: up to 3 English + 1 Korean
CANDIDATES = 12                # best candidates per language that MMR chooses from
MMR_LAMBDA = 0.6
ABSORB = 0.7                   # a phrase absorbs its parts when they occur mostly inside it
ABSORBED_SCALE = 0.5           # ... but a part stays a candidate in case the phrase cannot be used
RARE_SCALE = 0.05              # a phrase of one or two members: only when a topic has nothing better
PHRASE_BONUS = 1.6             # per extra word, so "Video Generation" beats "Video · Generation"; multi-word
                               # phrases per label on the corpus: 1.25 -> 0.14, 1.6 -> 0.53, 2.0 -> 0.89 (but
                               # then "Benchmark for Evaluating")
_SPLIT = re.compile(r"[:;,!?()\[\]{}\"“”|/]|\s[-–—]\s")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-']*[A-Za-z0-9]|[A-Za-z]")
# title clichés: fine words, no topic ("Unleashing the Power of ...", "... Is All You Need")
_CLICHES = EN_STOPWORDS | frozenset("unleashing power need all you know rethinking revisiting beyond making let "
                                    "your good better simple really more less one two just".split())
_HANGUL = re.compile(r"^[가-힣]{2,}$")
_GENERIC_KO = frozenset("논문 연구 방법 제안 결과 기존 문제 기반 사용 활용 가능 다양 효과 효율 수행 "
                        "기술 분야 과정 경우 능력 대한 통해 위해 경우 정도 부분 구조 요소 사이".split())


def title_phrases(title: str) -> dict[str, str]:
    """Normalised phrase -> its surface form, for 1-3 word phrases that neither start nor end on a stopword."""
    out: dict[str, str] = {}
    for seg in _SPLIT.split(title):
        words = _WORD.findall(seg)
        for n in (1, 2, 3):
            for i in range(len(words) - n + 1):
                gram = words[i : i + n]
                lo = [w.lower() for w in gram]
                if lo[0] in _CLICHES or lo[-1] in _CLICHES or all(w.isdigit() for w in lo):
                    continue
                if any(norm_term(x) in GENERIC_LABEL_TERMS for x in lo):  # never a label word: not a candidate
                    continue
                out.setdefault(norm_term(" ".join(gram)), " ".join(gram))
    return out


def korean_phrases(tokens: Sequence[str]) -> set[str]:
    """Korean nouns and pairs of adjacent ones ("비디오 생성") from a summary's content tokens."""
    nouns = [t if _HANGUL.match(t) and not t.endswith("다") and t not in _GENERIC_KO
             and t not in GENERIC_LABEL_TERMS else None for t in tokens]
    out = {t for t in nouns if t}
    out |= {f"{a} {b}" for a, b in zip(nouns, nouns[1:]) if a and b and a != b}
    return out


def distinctive(docs: list[set[str]], assignments: np.ndarray, ids: list[int],
                min_share: float = 0.03) -> dict[int, list[tuple[str, float]]]:
    """Per topic, phrases ranked by share-in-topic x log(1 / share-overall); used by >= 2 members (and 3%) first."""
    n = len(docs)
    overall = Counter(p for d in docs for p in d)
    out = {}
    for c in ids:
        rows = np.nonzero(assignments == c)[0]
        inside = Counter(p for i in rows for p in docs[i])
        floor = max(2, math.ceil(min_share * len(rows)))
        kept = dict(inside)
        absorbed = set()
        for p, f in kept.items():  # "gaussian" mostly inside "gaussian splatting": prefer the phrase
            words = p.split()
            absorbed.update(sub for sub in (" ".join(words[i : i + m]) for m in range(1, len(words))
                                            for i in range(len(words) - m + 1))
                            if sub in kept and kept[sub] <= f / ABSORB)
        scored = [(p, (f / len(rows)) * math.log(n / overall[p]) * PHRASE_BONUS ** (len(p.split()) - 1)
                   * (ABSORBED_SCALE if p in absorbed else 1.0) * (1.0 if f >= floor else RARE_SCALE))
                  for p, f in kept.items()]
        out[c] = sorted((x for x in scored if x[1] > 0), key=lambda x: (-x[1], x[0]))[:60]
    return out


def _words(phrase: str) -> set[str]:
    return set(norm_term(phrase).split()) - EN_STOPWORDS


def mmr(phrases: list[str], relevance: np.ndarray, vecs: np.ndarray | None, k: int,
        lam: float = MMR_LAMBDA) -> list[int]:
    """Maximal marginal relevance: the next phrase is relevant and unlike those already chosen."""
    chosen: list[int] = []
    while len(chosen) < min(k, len(phrases)):
        best, best_score = None, -np.inf
        for i in range(len(phrases)):
            if i in chosen or any(_words(phrases[i]) & _words(phrases[j]) for j in chosen):
                continue
            red = max((float(vecs[i] @ vecs[j]) for j in chosen), default=0.0) if vecs is not None else 0.0
            s = lam * relevance[i] - (1 - lam) * red
            if s > best_score:
                best, best_score = i, s
        if best is None:
            break
        chosen.append(best)
    return chosen


def label_topics(titles: list[str], summary_tokens: list[list[str]], suspect: np.ndarray,
                 assignments: np.ndarray, ids: list[int], centroids: dict[int, np.ndarray] | None = None,
                 encode: Encode | None = None) -> dict[int, tuple[list[str], list[str]]]:
    """Per topic id: (English phrases, Korean phrases). Larger topics choose first."""
    surfaces: dict[str, Counter] = defaultdict(Counter)
    en_docs = []
    for t in titles:
        ph = title_phrases(t)
        for norm, surf in ph.items():
            surfaces[norm][surf] += 1
        en_docs.append(set(ph))
    ko_docs = [set() if s else korean_phrases(toks) for toks, s in zip(summary_tokens, suspect)]
    ranked = {"en": distinctive(en_docs, assignments, ids), "ko": distinctive(ko_docs, assignments, ids)}
    limit = max(1, math.floor(MAX_LABEL_SHARE * len(ids)))
    used: Counter = Counter()
    order = sorted(ids, key=lambda c: (-(assignments == c).sum(), c))
    out: dict[int, tuple[list[str], list[str]]] = {}
    for c in order:
        chosen: dict[str, list[str]] = {}
        for lang, k in (("en", MAX_EN), ("ko", MAX_KO)):
            cands = [(p, s) for p, s in ranked[lang].get(c, [])
                     if not any(used[w] >= limit or w in GENERIC_LABEL_TERMS for w in _words(p))][:CANDIDATES]
            if not cands:
                chosen[lang] = []
                continue
            names = [p for p, _ in cands]
            rel = np.array([s for _, s in cands]) / max(cands[0][1], 1e-9)
            vecs = None
            if encode is not None and centroids is not None and c in centroids:
                vecs = encode(names)
                rel = 0.5 * rel + 0.5 * np.clip(vecs @ centroids[c], 0, None) / max(float(np.max(vecs @ centroids[c])), 1e-6)
            picked = [names[i] for i in mmr(names, rel, vecs, k)]
            for p in picked:
                used.update(_words(p))
            chosen[lang] = [surfaces[p].most_common(1)[0][0] if lang == "en" else p for p in picked]
        out[c] = (chosen["en"], chosen["ko"])
    return out

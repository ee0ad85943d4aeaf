"""Topic quality, side by side in one run: the previous release's k-means, this release's graph topics, BERTopic.

    python bench/clusters.py [--data-dir DIR] [--json] [--no-bertopic]

Every clustering is measured in the same topic space (indexer.topics.space: the
served index's vectors joined with an LSA of the papers' terms), on the served
index: neighbour consistency per topic (share of members most of whose 10 nearest
neighbours share their topic; min and median over topics, "other" excluded),
the share of papers left in "other", the largest share of suspect summaries in
any topic, the share of labels with a repeated or generic word, the median
pairwise title similarity, and the 5 least consistent topics with sample titles.
The consistency in the embedding space alone is shown too. Also: how much of the
map's frame the main mass of the stored 2-D map fills (the page draws that map).

BERTopic (UMAP 5-d + HDBSCAN + c-TF-IDF, its defaults) runs on the same topic
vectors when installed (`pip install bertopic==0.17.4`; not a dependency of the
product: it did not do the job as well, see docs/benchmarks.md).
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.checkout import pin_defaults_to_checkout  # noqa: E402

pin_defaults_to_checkout()

from indexer.pipeline.topic_input import from_index  # noqa: E402
from indexer.reading.reader import open_index  # noqa: E402
from indexer.topics.clusters import OTHER, assign_topics, default_k, kmeans  # noqa: E402
from indexer.topics.labels import label_topics  # noqa: E402
from indexer.topics.plots import main_mass_fill  # noqa: E402
from indexer.topics.quality import (  # noqa: E402
    MAX_SUSPECT_SHARE,
    MIN_CONSISTENCY,
    cluster_quality,
    consistent_rows,
    knn_rows,
    label_flags,
    per_cluster,
)
from models.loading import embedder_for  # noqa: E402
from papersearch.settings import Settings  # noqa: E402

LEGACY_GENERIC = frozenset(
    "있다 없다 하다 되다 이다 않다 같다 위하다 통하다 대하다 따르다 보이다 주다 높다 새롭다 다양하다 기존 "
    "모델 연구 방법 제안 성능 결과 논문 접근 기반 문제 사용 활용 개선 향상 평가 실험 가능 본 "
    "model models large based using learning via towards toward new study approach method methods".split()
)


def legacy_labels(title_tokens, summary_tokens, assign) -> dict[int, list[str]]:
    """The previous release's labels: top-3 English title words + top-2 Korean words by unigram c-TF-IDF."""
    def ctfidf(docs, top=8):
        ids = sorted(set(assign.tolist()) - {OTHER})
        per = {c: Counter() for c in ids}
        for toks, a in zip(docs, assign):
            if a != OTHER:
                per[int(a)].update(toks)
        freq = Counter()
        for cnt in per.values():
            freq.update(cnt)
        avg = np.mean([sum(c.values()) for c in per.values()])
        out = {}
        for c, cnt in per.items():
            total = sum(cnt.values()) or 1
            scored = {t: (f / total) * math.log(1 + avg / freq[t]) for t, f in cnt.items()
                      if len(t) > 1 and t not in LEGACY_GENERIC and not t.isdigit()}
            out[c] = [t for t, _ in sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
        return out
    en, ko = ctfidf(title_tokens), ctfidf(summary_tokens)
    return {c: [t for t in en[c] if t.isascii()][:3] + ko[c][:2] for c in en}


def bertopic_run(inp, title_tokens):
    from bertopic import BERTopic
    from sklearn.feature_extraction.text import CountVectorizer

    docs = [" ".join(t + s) for t, s in zip(title_tokens, inp.summary_tokens)]
    model = BERTopic(vectorizer_model=CountVectorizer(analyzer=str.split), calculate_probabilities=False)
    topics, _ = model.fit_transform(docs, embeddings=inp.topic)
    assign = np.array(topics, dtype=np.int64)
    labels = {int(c): [w for w, _ in model.get_topic(int(c))[:4]] for c in set(assign.tolist()) - {OTHER}}
    return assign, labels


def measure(name, assign, labels, inp, emb_neighbours, seconds) -> dict:
    q = [x for x in cluster_quality(inp.topic, inp.vectors, assign, inp.suspect) if x.id != OTHER]
    cons = [x.consistency for x in q]
    emb = per_cluster(consistent_rows(assign, emb_neighbours).astype(float), assign)
    flags = label_flags([labels[c] for c in sorted(labels)])
    titles = [p.title for p in inp.papers]
    worst = [{"id": x.id, "size": x.size, "consistency": round(x.consistency, 3), "label": " · ".join(labels[x.id]),
              "titles": [titles[i][:70] for i in np.nonzero(assign == x.id)[0][:4]]} for x in q[:5]]
    return {"clustering": name, "topics": len(q), "other_share": round(float((assign == OTHER).mean()), 3),
            "consistency_min": round(min(cons), 3), "consistency_median": round(statistics.median(cons), 3),
            "below_goal": sum(c < MIN_CONSISTENCY for c in cons),
            "consistency_p10_p25_p75_p90": [round(float(np.percentile(cons, p)), 2) for p in (10, 25, 75, 90)],
            "embedding_consistency_median": round(statistics.median(v for c, v in emb.items() if c != OTHER), 3),
            "max_suspect_share": round(max(x.suspect_share for x in q), 3),
            "labels_repeated_or_generic": round(float(np.mean([r or g for r, g in flags])), 3),
            "title_cohesion_median": round(statistics.median(x.title_cohesion for x in q), 3),
            "seconds": round(seconds, 1), "worst": worst}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--no-bertopic", action="store_true")
    a = ap.parse_args()
    settings = Settings(**({"data_dir": a.data_dir} if a.data_dir else {}))
    idx = open_index(settings.data_dir)
    inp = from_index(idx)
    lex = idx.store.lexical_tokens()
    title_tokens = [lex.get(int(r), ([], []))[0] for r in idx.ids]
    emb_neighbours = knn_rows(inp.vectors)
    encoder = embedder_for(settings)
    rows = []

    t = time.perf_counter()
    old = kmeans(inp.vectors, default_k(len(inp.vectors)))
    rows.append(measure("previous release: k-means on embeddings, unigram labels", old,
                        legacy_labels(title_tokens, inp.summary_tokens, old), inp, emb_neighbours,
                        time.perf_counter() - t))

    def labelled(assign):
        ids = sorted(set(assign.tolist()) - {OTHER})
        centres = {c: inp.vectors[assign == c].mean(axis=0) for c in ids}
        centres = {c: v / np.linalg.norm(v) for c, v in centres.items()}
        lab = label_topics([p.title for p in inp.papers], inp.summary_tokens, inp.suspect, assign, ids, centres,
                           encoder.encode_queries)
        return {c: en + ko for c, (en, ko) in lab.items()}

    for name, method in (("k-means on topic vectors, phrase labels", "kmeans"),
                         ("this release: graph topics on topic vectors, phrase labels", "graph")):
        t = time.perf_counter()
        assign = assign_topics(inp.topic, method, default_k(len(inp.topic)) if method == "kmeans" else None)
        rows.append(measure(name, assign, labelled(assign), inp, emb_neighbours, time.perf_counter() - t))
    if not a.no_bertopic:
        try:
            t = time.perf_counter()
            assign, labels = bertopic_run(inp, title_tokens)
            rows.append(measure("BERTopic 0.17 defaults on topic vectors", assign, labels, inp, emb_neighbours,
                                time.perf_counter() - t))
        except ImportError:
            print("(BERTopic not installed: pip install bertopic==0.17.4 to add its row)", file=sys.stderr)
    fill = main_mass_fill(idx.clustering.map2d) if idx.clustering is not None else None
    report = {"papers": len(inp.papers), "goals": {"consistency_min": MIN_CONSISTENCY,
                                                   "max_suspect_share": MAX_SUSPECT_SHARE},
              "served_map_main_mass_fill": round(fill, 3) if fill is not None else None, "rows": rows}
    if a.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    cols = ["topics", "other_share", "consistency_min", "consistency_median", "consistency_p10_p25_p75_p90", "below_goal",
            "embedding_consistency_median", "max_suspect_share", "labels_repeated_or_generic",
            "title_cohesion_median", "seconds"]
    print(f"{report['papers']} papers; goals: every topic's consistency >= {MIN_CONSISTENCY}, "
          f"suspect share <= {MAX_SUSPECT_SHARE}; served map: main mass fills {report['served_map_main_mass_fill']} "
          "of the frame\n")
    print("| clustering | " + " | ".join(cols) + " |")
    print("|---|" + "---|" * len(cols))
    for r in rows:
        print(f"| {r['clustering']} | " + " | ".join(str(r[c]) for c in cols) + " |")
    for r in rows:
        print(f"\n5 least consistent topics, {r['clustering']}:")
        for w in r["worst"]:
            print(f"  {w['id']:>3} ({w['size']} papers, consistency {w['consistency']}) {w['label']}")
            for title in w["titles"]:
                print(f"        - {title}")


if __name__ == "__main__":
    main()

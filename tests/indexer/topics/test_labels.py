import numpy as np

from indexer.topics.labels import distinctive, korean_phrases, label_topics, mmr, title_phrases
from indexer.topics.quality import label_flags


def test_title_phrases_stay_inside_segments_and_skip_stopword_edges():
    ph = title_phrases("KV Cache Compression: Towards Efficient Long Context with Sparse Attention")
    assert "kv cache compression" in ph and ph["kv cache"] == "KV Cache"
    assert "compression towards" not in ph and "efficient long context" in ph
    assert not any(p.endswith(" with") or p.startswith("with ") for p in ph)
    assert "language" not in title_phrases("Large Language Models")  # generic words are never label words
    assert "power" not in title_phrases("Unleashing the Power of Video Diffusion")


def test_korean_phrases_are_nouns_and_noun_pairs():
    got = korean_phrases(["비디오", "생성", "제안", "길다", "캐시", "압축"])
    assert {"비디오", "비디오 생성", "캐시 압축"} <= got
    assert "길다" not in got and "제안" not in got and not any("제안" in p for p in got)


def test_distinctive_prefers_the_phrase_over_its_parts():
    docs = [{"gaussian", "splatting", "gaussian splatting"}] * 8 + [{"gaussian"}] + [{"video"}] * 9
    a = np.array([0] * 9 + [1] * 9)
    best = distinctive(docs, a, [0, 1])[0]
    score = dict(best)
    assert best[0][0] == "gaussian splatting"
    assert score["splatting"] < score["gaussian splatting"] / 2  # only ever inside the phrase: absorbed


def test_mmr_avoids_repeats_and_near_duplicates():
    names = ["video generation", "video", "text to video", "motion"]
    rel = np.array([1.0, 0.95, 0.9, 0.5])
    vecs = np.array([[1, 0], [1, 0], [0.99, 0.14], [0, 1]], dtype=float)
    picked = [names[i] for i in mmr(names, rel, vecs, 3)]
    assert picked[0] == "video generation" and "video" not in picked and "text to video" not in picked
    assert "motion" in picked


def test_label_topics_caps_word_use_and_has_no_generic_or_repeated_words():
    titles, toks, assign = [], [], []
    for c in range(12):
        for i in range(10):
            titles.append(f"Diffusion Topic{c} Method{c} Study {i}")
            toks.append([f"주제{c}", "확산"])
            assign.append(c)
    labels = label_topics(titles, toks, np.zeros(len(titles), dtype=bool), np.array(assign), list(range(12)))
    uses = sum("diffusion" in " ".join(en).lower() for en, _ in labels.values())
    assert uses <= 1  # 10% of 12 labels
    assert all(en for en, _ in labels.values())
    assert not any(r or g for r, g in label_flags([en + ko for en, ko in labels.values()]))


def test_wrong_summaries_never_label_a_topic():
    titles = [f"Speech Recognition {i}" for i in range(6)]
    toks = [["음성"]] * 3 + [["비디오"]] * 3
    suspect = np.array([False] * 3 + [True] * 3)
    labels = label_topics(titles, toks, suspect, np.zeros(6, dtype=np.int64), [0])
    assert labels[0][1] == ["음성"]

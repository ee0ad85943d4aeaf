import numpy as np

from indexer.topics.clusters import OTHER, Cluster, Clustering, cluster_papers
from indexer.topics.updates import carry_ids, extend
from tests.helpers import blobs, topic_input


def test_extend_keeps_ids_labels_and_places_new_papers():
    x, truth = blobs(per=20)
    base = cluster_papers(topic_input(x[:50], truth[:50]), "kmeans", k=3, map_method="pca")
    rids = np.arange(100, 100 + len(x))
    grown = extend(base, rids[:50], rids, topic_input(x, truth))
    assert np.array_equal(grown.assignments[:50], base.assignments)
    # the 10 new papers all come from the third blob: they join the topic holding that blob
    third = base.assignments[truth[:50] == 2][0]
    assert set(grown.assignments[50:].tolist()) == {third}
    assert sum(c.size for c in grown.clusters) == len(x)
    assert grown.get(third).terms_en == base.get(third).terms_en and grown.get(third).size == base.get(third).size + 10
    spread = np.ptp(base.map2d, axis=0)
    centre = base.map2d[base.assignments == third].mean(axis=0)
    assert np.all(np.abs(grown.map2d[50:] - centre) < spread)


def clustering(assign: list[int]) -> Clustering:
    a = np.array(assign, dtype=np.int64)
    cl = [Cluster(int(c), int((a == c).sum()), [f"t{c}"], [], [], {}, other=c == OTHER) for c in sorted(set(assign))]
    return Clustering("graph", a, cl, np.zeros((len(a), 2), dtype=np.float32), "pca")


def test_a_full_recluster_keeps_ids_by_overlap_and_aliases_retired_ones():
    rids = np.arange(10)
    prev = clustering([5, 5, 5, 5, 7, 7, 7, 9, 9, OTHER])
    prev.aliases = {2: 9}
    # new run: topic "0" is old 5 (+1 paper), old 7 and old 9 merged into "1", one brand-new topic "2"
    new = clustering([0, 0, 0, 0, 1, 1, 1, 1, 1, 0])
    new_rids = np.arange(11)
    new.assignments = np.append(new.assignments, 2)
    new.clusters.append(Cluster(2, 1, ["fresh"], [], [], {}))
    out = carry_ids(new, new_rids, prev, rids)
    assert out.assignments[:4].tolist() == [5] * 4 and out.assignments[9] == 5
    merged = int(out.assignments[4])
    assert merged in (7, 9) and out.assignments[4:9].tolist() == [merged] * 5
    retired = ({7, 9} - {merged}).pop()
    assert out.aliases[retired] == merged and out.resolve(retired) == merged
    assert out.aliases[2] == merged  # an older alias follows its target
    assert out.assignments[10] == 10  # new ids never reuse an old or aliased one
    assert sorted(c.id for c in out.clusters) == sorted({5, merged, 10})

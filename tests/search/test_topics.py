import numpy as np

from indexer.topics.clusters import cluster_papers
from search.topics import TopicView
from tests.helpers import blobs, topic_input


def view() -> tuple[TopicView, object, list]:
    x, truth = blobs()
    inp = topic_input(x, truth)
    c = cluster_papers(inp, "kmeans", k=3, map_method="pca")
    return TopicView(c, inp.papers, {p.arxiv_id: i for i, p in enumerate(inp.papers)}), c, inp.papers


def test_map_points_follow_the_index_rows_rounded_for_drawing():
    t, c, papers = view()
    pts = t.map_points()
    assert [p[3] for p in pts] == [p.arxiv_id for p in papers] and [p[4] for p in pts] == [p.title for p in papers]
    assert [p[2] for p in pts] == c.assignments.tolist()
    assert np.allclose([p[:2] for p in pts], c.map2d, atol=5e-4)
    assert all(round(v, 3) == v for p in pts for v in p[:2])
    x0, x1, y0, y1 = t.frame()
    assert x0 < x1 and y0 < y1


def test_anchors_labels_and_aliases_come_from_the_stored_topics():
    t, c, papers = view()
    anchors = t.anchors()
    assert [a.id for a in anchors] == [cl.id for cl in c.clusters if not cl.other]
    for a in anchors:
        members = c.map2d[c.assignments == a.id]
        assert a.label == c.get(a.id).label and abs(a.x - float(np.median(members[:, 0]))) < 1e-3
    assert t.labels() == {str(cl.id): cl.label for cl in c.clusters}
    c.aliases[99] = c.clusters[1].id
    assert t.resolve(99) == c.clusters[1].id and t.resolve(c.clusters[0].id) == c.clusters[0].id
    assert t.resolve(12345) is None and t.get(12345) is None
    assert t.title_of(papers[7].arxiv_id) == papers[7].title
    assert (t.method, t.map_method) == ("kmeans", "pca")


def test_the_static_map_is_a_png():
    t, _, _ = view()
    assert t.map_png().startswith(b"\x89PNG\r\n\x1a\n")

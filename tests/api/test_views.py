from api.schemas import TopicOrder
from api.state import GenerationCache
from api.views import ordered
from indexer.topics.clusters import OTHER, cluster_papers
from search.topics import Cluster, TopicView
from tests.helpers import blobs, topic_input


def test_topics_ordered_by_size_or_growth_with_other_last():
    x, truth = blobs()
    inp = topic_input(x, truth)
    c = cluster_papers(inp, "kmeans", k=3, map_method="pca")
    c.assignments[:2] = OTHER
    for i, cl in enumerate(c.clusters):
        cl.growth = [0.5, -1.0, 2.0][i]
    c.clusters.append(Cluster(OTHER, 2, [], [], [], growth=9.0, other=True))
    t = TopicView(c, inp.papers, {p.arxiv_id: i for i, p in enumerate(inp.papers)})
    ids = [cl.id for cl in c.clusters]
    assert [cl.id for cl in ordered(t, TopicOrder.size)] == ids
    assert [cl.growth for cl in ordered(t, TopicOrder.rising)] == [2.0, 0.5, -1.0, 9.0]
    assert [cl.growth for cl in ordered(t, TopicOrder.fading)] == [-1.0, 0.5, 2.0, 9.0]


def test_generation_cache_renders_once_per_generation_and_keeps_only_one():
    cache, calls = GenerationCache(), []

    def make(tag):
        def render():
            calls.append(tag)
            return tag.encode()
        return render

    assert cache.get("g1", "map.png", make("a")) == b"a"
    assert cache.get("g1", "map.png", make("b")) == b"a"        # cached
    assert cache.get("g2", "map.png", make("c")) == b"c"        # a new generation renders its own
    assert cache.get("g1", "map.png", make("d")) == b"d"        # g1 was dropped when g2 was stored
    assert calls == ["a", "c", "d"]


def test_downloads_name_their_file_and_read_back():
    from api.views import download, slug
    from indexer.ingest.records import Paper
    from tests.helpers import exported_ids

    assert slug("KV Cache: 압축!") == "kv-cache" and slug("비디오 생성") == "" and slug("Jörg  Müller") == "jorg-muller"
    papers = [Paper("2404.03592", "ReFT: Representation Finetuning", ["Zhengxuan Wu"], dates=["2024-04-05"]),
              Paper("2404.12253", "Toward Self-Improvement of LLMs", ["Ye Tian"], dates=["2024-04-19"])]
    r = download(papers, "bibtex", "search", "ReFT 표현")
    assert r.media_type == "application/x-bibtex; charset=utf-8"
    assert r.headers["content-disposition"] == ("attachment; filename=\"papersearch-search-reft.bib\"; "
                                                "filename*=UTF-8''papersearch-search-ReFT%20%ED%91%9C%ED%98%84.bib")
    assert exported_ids(r.body.decode(), "bibtex") == ["2404.03592", "2404.12253"]
    plain = download(papers, "csv", "topic", "3")
    assert plain.headers["content-disposition"] == 'attachment; filename="papersearch-topic-3.csv"'
    assert exported_ids(plain.body.decode(), "csv") == ["2404.03592", "2404.12253"]

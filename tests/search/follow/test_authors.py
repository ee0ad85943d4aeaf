"""The author index: spelling-proof names, papers newest first, co-authors by count, topics, closest names."""
import pytest

from indexer.ingest.corpus import load_corpus
from indexer.ingest.records import Paper
from search.follow.authors import AuthorIndex, UnknownAuthor, fold, name_key
from tests.helpers import copy_days


@pytest.mark.parametrize("a, b", [
    ("Zi-Wei Liu", "Ziwei Liu"), ("ziwei  liu", "Ziwei Liu"), ("ZIWEI LIU", "Ziwei Liu"), ("Zíwei Liù", "Ziwei Liu"),
    ("Jörg Müller", "Jorg Muller"), ("Łukasz Kaiser", "Lukasz Kaiser"), ("Matthias Nießner", "Matthias Niessner"),
    ("Anders Søgaard", "Anders Sogaard"), ("Edgar A. Duéñez-Guzmán", "Edgar A Duenez Guzman"),
    ("['Sai Bi'", "Sai Bi"), ("김 철수", "김철수"), ("Ｚｉｗｅｉ Ｌｉｕ", "Ziwei Liu"),
])
def test_spelling_variants_share_a_key(a, b):
    assert name_key(a) == name_key(b) != ""


def test_different_people_keep_different_keys():
    assert name_key("Ziwei Liu") != name_key("Zhiwei Liu")
    assert name_key("Wei Liu") != name_key("Wei Lu")
    assert fold("김철수") == "김철수" and fold("Jörg") == "Jorg"  # Hangul survives the accent stripping


def paper(aid, authors, date, title="T"):
    return Paper(arxiv_id=aid, title=title, authors=authors, dates=[date])


PAPERS = [
    paper("2401.00001", ["Ziwei Liu", "Jörg Müller", "Ann Lee"], "2024-01-05"),
    paper("2403.00002", ["Zi-Wei Liu", "Jorg Muller"], "2024-03-01"),
    paper("2402.00003", ["ziwei  liu", "Ann Lee", "Jörg Müller"], "2024-02-10"),
    paper("2402.00004", ["Bob Stone"], "2024-02-11"),
    paper("2403.00005", ["Ann Lee", "Ziwei Liu", "Ziwei Liu"], "2024-03-01"),  # a digest listed him twice
]


def test_an_author_page_papers_newest_first_and_coauthors_by_count():
    page = AuthorIndex(PAPERS).lookup("ZI-WEI LIU")
    assert page.name == "Ziwei Liu" and page.key == "ziweiliu"
    assert page.variants == ["Ziwei Liu", "Zi-Wei Liu", "ziwei liu"]
    # newest first: by first featured date, then arXiv id
    assert [p.arxiv_id for p in page.papers] == ["2403.00005", "2403.00002", "2402.00003", "2401.00001"]
    assert [(c.name, c.papers) for c in page.coauthors] == [("Ann Lee", 3), ("Jörg Müller", 3)]
    assert page.topics == []


def test_topics_come_from_the_callers_assignments():
    idx = AuthorIndex(PAPERS, clusters=[4, 7, 4, 1, -1], labels={4: "video · 비디오", 7: "math"})
    topics = idx.lookup("Ziwei Liu").topics
    assert [(t.cluster, t.label, t.papers) for t in topics] == [(4, "video · 비디오", 2), (7, "math", 1)]  # -1: none
    with pytest.raises(ValueError):
        AuthorIndex(PAPERS, clusters=[1, 2])


def test_a_miss_names_the_closest_authors():
    idx = AuthorIndex(PAPERS)
    with pytest.raises(UnknownAuthor) as err:
        idx.lookup("Ziwei Lui")
    assert err.value.closest[0] == "Ziwei Liu" and "closest: Ziwei Liu" in str(err.value)
    assert idx.closest("") == [] and "Nobody Here" not in idx and "ziwei liu" in idx
    assert idx.papers_of("Nobody Here") == [] and len(idx) == 4


def test_real_digests_that_print_the_author_list_as_a_python_list(tmp_path, corpus_dir):
    # both days list "Sai Bi" inside "['Sai Bi', 'Noah Snavely', ...]", which the parser keeps as "['Sai Bi'"
    papers, _ = load_corpus(copy_days(corpus_dir, tmp_path, ["2024/10/21.md", "2024/10/25.md"]))
    page = AuthorIndex(papers).lookup("sai bi")
    assert page.name == "Sai Bi"
    assert [(p.arxiv_id, p.first_seen) for p in page.papers] == [("2410.17242", "2024-10-25"),
                                                                  ("2410.12781", "2024-10-21")]
    together = {c.name: c.papers for c in page.coauthors}
    assert together["Hao Tan"] == together["Kai Zhang"] == together["Fujun Luan"] == together["Zexiang Xu"] == 2
    assert together["Noah Snavely"] == 1 and page.coauthors[0].papers == 2

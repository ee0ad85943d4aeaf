"""Catch-up on a real index with the real model and ranker: idempotent, kill-safe, re-matching changed papers,
backfilling new watches, and surviving rebuilds and `--prune` (the watch file lives beside the generations)."""
from datetime import UTC, date, datetime

import pytest

from indexer.ingest.records import Paper
from search.engine import SearchEngine
from search.follow.catchup import EngineSource, catch_up, create_watch, recent_rows
from search.follow.matching import ThresholdRule, match_hash
from search.follow.models import AuthorSpec, CorpusStats, InvalidWatch, Match, QuerySpec, SeedsSpec
from search.follow.store import WATCHES_FILE, WatchStore
from tests.helpers import copy_days

EARLIER = "00000000T000000-0-000000"   # a generation before the test index's, as DataDir names them
HELD_OUT_DAY = "2024-09-02"            # its papers "arrive" after the earlier generation
VQ4DIT = "2408.17131"                  # VQ4DiT: vector quantization for diffusion transformers, on that day


class CrashOnce(ThresholdRule):
    """A matcher run that dies after the store synced and before it recorded anything (as a kill would)."""
    crashed = False

    def keep(self, scores, z):
        if not CrashOnce.crashed:
            CrashOnce.crashed = True
            raise RuntimeError("killed")
        return super().keep(scores, z)


def test_recent_rows_cover_the_days_up_to_the_newest():
    papers = [Paper("a", "A", dates=["2024-05-01"]), Paper("b", "B", dates=["2024-04-10", "2024-05-14"]),
              Paper("c", "C", dates=["2024-04-30"]), Paper("d", "D")]
    assert recent_rows(papers, 14) == [0, 1]
    assert recent_rows(papers, 15) == [0, 1, 2] and recent_rows(papers, 0) == [] and recent_rows([], 14) == []


@pytest.fixture
def source(engine):
    return EngineSource(engine)


def held_out_baseline(store: WatchStore, source: EngineSource, changed: dict[str, str] | None = None) -> set[str]:
    """Sync a pretend earlier generation without the held-out day's papers (and with `changed` ids at an older
    text), so that catching up on the real generation sees them arrive."""
    new = {p.arxiv_id for p in source.papers if HELD_OUT_DAY in p.dates}
    store.sync(EARLIER, [(p.arxiv_id, (changed or {}).get(p.arxiv_id, match_hash(p)))
                         for p in source.papers if p.arxiv_id not in new])
    return new


@pytest.mark.model
def test_catch_up_matches_new_papers_once_even_after_a_crash(tmp_path, source):
    store = WatchStore(tmp_path / WATCHES_FILE)
    new = held_out_baseline(store, source)
    topic = store.create(QuerySpec(query="vector quantization of diffusion transformers"))
    author = store.create(AuthorSpec(author="conghui HE"))
    unrelated = store.create(QuerySpec(query="speaker recognition challenge", min_votes=10**6))
    with pytest.raises(RuntimeError):
        catch_up(source, store, CrashOnce())
    assert all(store.matches(w.id) == [] for w in (topic, author, unrelated))
    assert len(store.pending(store.get(topic.id))) == len(new)  # the arrivals wait for the next run
    report = catch_up(source, store)
    assert report.current and report.arrived == 0 and not report.problems  # already synced before the crash
    watches = {"topic": topic, "author": author, "unrelated": unrelated}
    got = {k: [m.arxiv_id for m in store.matches(w.id)] for k, w in watches.items()}
    assert VQ4DIT in got["topic"] and set(got["topic"]) <= new
    assert all(m.z >= ThresholdRule().z_min and m.generation == source.generation for m in store.matches(topic.id))
    # Conghui He is on UrBench and CrossViewDiff that day; "conghui HE" is the same name
    assert sorted(got["author"]) == ["2408.14765", "2408.17267"]
    assert got["unrelated"] == []  # no paper passes its filter
    stats = store.get(topic.id).stats
    assert stats.generation == source.generation and stats.method == "learned" and stats.n == len(source.papers)
    again = catch_up(source, store)
    assert again.matched == {}
    assert {k: [m.arxiv_id for m in store.matches(w.id)] for k, w in watches.items()} == got


@pytest.mark.model
def test_a_changed_paper_is_matched_again_and_stale_stats_are_refreshed(tmp_path, source):
    store = WatchStore(tmp_path / WATCHES_FILE)
    target = next(p for p in source.papers if p.arxiv_id == "2404.03592")  # ReFT, an old paper
    held_out_baseline(store, source, changed={target.arxiv_id: "older-text"})
    w = store.create(QuerySpec(query="representation finetuning ReFT", method="hybrid"))
    old = CorpusStats(generation=EARLIER, method="hybrid", mean=0.0, std=1.0, n=3)
    # it was matched on its older text by an earlier run
    store.add_matches(w.id, [m.model_copy(update={"content_hash": "older-text", "generation": EARLIER})
                             for m in [_match(target.arxiv_id)]])
    assert store.record(w, w.seen_seq, [], old)
    catch_up(source, store)
    (m,) = [m for m in store.matches(w.id) if m.arxiv_id == target.arxiv_id]
    assert (m.content_hash, m.generation) == (match_hash(target), source.generation)
    fresh = store.get(w.id).stats
    assert fresh.generation == source.generation and fresh.method == "hybrid" and fresh != old


def _match(aid):
    return Match(arxiv_id=aid, score=1.0, z=3.0, generation=EARLIER, matched_at=datetime.now(UTC),
                 content_hash="h")


@pytest.mark.model
def test_a_broken_watch_is_reported_and_the_others_proceed(tmp_path, source):
    store = WatchStore(tmp_path / WATCHES_FILE)
    held_out_baseline(store, source)
    gone = store.create(SeedsSpec(positive=["2101.00001"]))  # a seed paper pruned from the corpus since
    ok = store.create(AuthorSpec(author="Dahua Lin"))
    report = catch_up(source, store)
    assert "not in the index" in report.problems[gone.id] and ok.id in report.matched
    assert store.pending(store.get(gone.id)) != []  # it is retried, not skipped past


@pytest.mark.model
def test_a_source_behind_the_store_matches_nothing(tmp_path, source):
    store = WatchStore(tmp_path / WATCHES_FILE)
    store.sync("99991231T235959-1-ffffff", [("2404.03592", "h")])
    store.create(AuthorSpec(author="Dahua Lin"))
    report = catch_up(source, store)
    assert not report.current and report.matched == {}


@pytest.mark.model
def test_create_checks_the_spec_against_the_index_and_backfills(tmp_path, source):
    store = WatchStore(tmp_path / WATCHES_FILE)
    for spec, field, words in [(SeedsSpec(positive=["2404.03592"], negative=["2101.00001"]), "negative", "not in"),
                               (AuthorSpec(author="Dahua Lni"), "author", "closest: Dahua Lin"),
                               (QuerySpec(query="x", cluster=99_999), "cluster", "no topic cluster 99999")]:
        with pytest.raises(InvalidWatch) as err:
            create_watch(source, store, spec)
        assert err.value.field == field and words in err.value.message
    assert store.count() == 0
    page = source.authors.lookup("dahua lin")  # the served generation's author index carries its topics
    assert page.topics and all(t.label for t in page.topics) and sum(t.papers for t in page.topics) <= len(page.papers)
    newest = max(p.last_seen for p in source.papers)
    recent = {source.papers[i].arxiv_id for i in recent_rows(source.papers)}
    title = next(p.title for p in source.papers if p.first_seen == "2025-01-02")
    watch, matches = create_watch(source, store, QuerySpec(query=title), name="os agents")
    assert watch.name == "os agents" and matches and {m.arxiv_id for m in matches} <= recent
    assert [m.arxiv_id for m in store.matches(watch.id)] == [m.arxiv_id for m in matches]
    assert date.fromisoformat(newest) >= date(2025, 1, 2)
    assert store.pending(store.get(watch.id)) == []  # it starts after everything the index holds


@pytest.mark.model
def test_watches_survive_rebuilds_prune_and_catch_up_on_the_next_build(tmp_path, corpus_dir, embedder):
    from indexer.pipeline.build import build_index
    from papersearch.settings import Settings

    corpus = copy_days(corpus_dir, tmp_path / "corpus", ["2024/06/03.md"])
    s = Settings(corpus=corpus, data_dir=tmp_path / "data")

    def served() -> SearchEngine:
        return SearchEngine.open(s, embedder=embedder)

    build_index(s, progress=False, embedder_factory=lambda _: embedder)
    store = WatchStore.in_data_dir(s.data_dir)
    e1 = served()
    assert catch_up(EngineSource(e1), store).arrived == 6  # the baseline
    follow, backfilled = create_watch(EngineSource(e1), store, AuthorSpec(author="Yu Qiao"))
    agent, _ = create_watch(EngineSource(e1), store, QuerySpec(query="GUI agent trajectories by reverse task synthesis"))
    e1.close()
    assert [m.arxiv_id for m in backfilled] == ["2405.20674"]  # 4Diffusion, that week

    copy_days(corpus_dir, corpus, ["2025/01/02.md"])  # OS-Genesis (Yu Qiao et al.) arrives
    build_index(s, progress=False, embedder_factory=lambda _: embedder)
    e2 = served()
    # nine papers: their z-scores are compressed, and this test is about survival, not the product's threshold
    report = catch_up(EngineSource(e2), store, ThresholdRule(z_min=2.0))
    e2.close()
    assert report.arrived == 3 and report.generation == e2.idx.generation.name
    assert "2412.19723" in [m.arxiv_id for m in report.matched[follow.id]]
    assert "2412.19723" in [m.arxiv_id for m in report.matched[agent.id]]
    before = {w.id: store.matches(w.id) for w in store.watches()}

    (corpus / "2024" / "06" / "03.md").unlink()  # a full rebuild that prunes the dropped day
    result = build_index(s, rebuild=True, prune=True, progress=False, embedder_factory=lambda _: embedder)
    assert result.pruned == 6
    store = WatchStore.in_data_dir(s.data_dir)
    assert {w.id for w in store.watches()} == {follow.id, agent.id}
    assert {w.id: store.matches(w.id) for w in store.watches()} == before
    e3 = served()
    again = catch_up(EngineSource(e3), store)  # same texts: nothing arrives, nothing is matched twice
    e3.close()
    assert again.arrived == 0 and again.matched == {}

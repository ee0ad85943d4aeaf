"""Following a topic, an author or a set of papers: saved searches ("watches") kept in their own SQLite file
beside the index generations, the matcher that catches them up on papers new to the index, the author index,
Atom feeds and exports of result lists. These modules may import the search layer's public API (search.engine,
search.filters, search.limits, search.rankers, search.schemas), the read side of the indexer (indexer.ingest
records and ids), papersearch.settings / papersearch.registry and the standard library; never indexer.pipeline (the build), and
nothing above search (api, the CLI), which call into them."""

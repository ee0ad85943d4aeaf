"""One router per group of endpoints: search, papers, clusters (topics), authors, watches (saved searches),
feeds (their Atom feeds), meta (health, stats, reload) and web (the HTML pages). A router may import api.deps,
api.errors, api.schemas, api.views and the search package;
never another router and never indexer: what two routers share lives in api.views, what they need from the
index comes through search (search.topics, search.status)."""

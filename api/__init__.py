"""The HTTP face of the search engine: the FastAPI app (main), the served engine, its reload and the watches'
catch-up (state, deps), error mapping (errors), every request/response model (schemas), views several routers
share (views), and the routers, templates and static files of the JSON API and the web page. It may import
search (the engine, its read-only views search.topics and search.status, and search.follow for watches, feeds,
authors and exports), papersearch.settings and papersearch.registry; it reaches the index only through search,
never indexer directly."""

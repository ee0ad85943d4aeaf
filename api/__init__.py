"""The HTTP face of the search engine: the FastAPI app (main), the served engine and its reload (state, deps),
error mapping (errors), every request/response model (schemas), views several routers share (views), and the
routers, templates and static files of the JSON API and the web page. It may import search (the engine and its
read-only views: search.topics, search.status), papersearch.settings and papersearch.registry; it reaches the
index only through search, never indexer directly (the one exception, loading the model in state, is on its
way to models/)."""

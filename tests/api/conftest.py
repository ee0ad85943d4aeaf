import pytest
from fastapi.testclient import TestClient

from api.main import create_app


@pytest.fixture(scope="session")
def client(built_settings, embedder):
    s = built_settings.model_copy(update={"reload_token": "sekret", "reload_interval": 0})
    with TestClient(create_app(s, embedder=embedder), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def fed_client(fed_settings, embedder):
    """The API over an index of both sources (the digest and the Hugging Face feed)."""
    with TestClient(create_app(fed_settings, embedder=embedder), raise_server_exceptions=False) as c:
        yield c

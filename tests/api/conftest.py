import pytest
from fastapi.testclient import TestClient

from api.main import create_app


@pytest.fixture(scope="session")
def client(built_settings, embedder):
    s = built_settings.model_copy(update={"reload_token": "sekret", "reload_interval": 0})
    with TestClient(create_app(s, embedder=embedder), raise_server_exceptions=False) as c:
        yield c

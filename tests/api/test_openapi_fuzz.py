"""Property-based run over the OpenAPI spec (schemathesis): no generated request may get a 5xx."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from api.main import create_app

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def api_schema(built_settings, embedder):
    app = create_app(built_settings.model_copy(update={"reload_interval": 0}), embedder=embedder)
    assert app.state.holder.load()  # load now: the ASGI transport does not run the lifespan
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_generated_request_gets_a_server_error(api_schema):
    operations = [r.ok() for r in api_schema.get_all_operations()]
    assert len(operations) >= 6
    failures, calls = [], []
    for op in operations:

        @given(case=op.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            response = case.call()
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query} {case.body!r} -> "
                                f"{response.status_code} {response.text[:200]}")

        run()
    assert not failures, "\n".join(failures[:10])
    assert len(calls) >= 10 * len(operations) and 200 in calls

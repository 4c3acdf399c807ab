"""One client over its limit is told to wait; other clients, static files and docs are not."""

from __future__ import annotations

import pytest
import redis

from transitreq import create_app

REDIS_URL = "redis://127.0.0.1:6379/15"
RESIDENT = {"REMOTE_ADDR": "198.51.100.7"}
NEIGHBOUR = {"REMOTE_ADDR": "198.51.100.8"}


@pytest.fixture
def make_app(database_url, tmp_path):
    """Apps with the given rate-limit settings on the test database (the suite's are off)."""
    apps = []

    def build(**limits):
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": database_url,
                "SECRET_KEY": "tests-only-secret",
                "TILE_URL": "",
                "SERVER_NAME": "transitreq.test",
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": True,
                "RATELIMIT_STORAGE_URI": "memory://",
                "RATELIMIT_DEFAULT": "1000 per minute",
                "RATELIMIT_WRITES": "1000 per minute",
                **limits,
            },
            instance_path=str(tmp_path / "instance"),
        )
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["transitreq.engine"].dispose()


@pytest.fixture
def shared_redis():
    """Redis database 15, empty before and after, as a deployment's shared counter store."""
    store = redis.Redis.from_url(REDIS_URL)
    store.flushdb()
    yield store
    store.flushdb()
    store.close()


def _retry_after(response) -> int:
    value = response.headers["Retry-After"]
    assert value.isdigit(), value
    return int(value)


def _assert_json_refusal(response) -> None:
    assert response.status_code == 429
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == "rate_limited"
    assert error["message"]
    assert error["fields"] == {}
    assert 1 <= _retry_after(response) <= 60


def test_fourth_api_call_in_a_minute_is_told_to_wait(make_app):
    client = make_app(RATELIMIT_DEFAULT="3 per minute").test_client()
    for _ in range(3):
        allowed = client.get("/api/layers/routes", environ_base=RESIDENT)
        assert allowed.status_code == 200
        assert "Retry-After" not in allowed.headers
    _assert_json_refusal(client.get("/api/layers/routes", environ_base=RESIDENT))
    # Another address has its own allowance.
    assert client.get("/api/layers/routes", environ_base=NEIGHBOUR).status_code == 200


def test_behind_a_proxy_each_resident_is_counted_by_the_address_it_forwards(make_app):
    proxy = "203.0.113.1"

    def call(client, resident: str):
        return client.get(
            "/api/layers/routes",
            environ_base={"REMOTE_ADDR": proxy},
            headers={"X-Forwarded-For": resident},
        )

    behind = make_app(RATELIMIT_DEFAULT="2 per minute", PROXY_COUNT=1).test_client()
    for _ in range(2):
        assert call(behind, "198.51.100.7").status_code == 200
    _assert_json_refusal(call(behind, "198.51.100.7"))
    assert call(behind, "198.51.100.8").status_code == 200  # a neighbour, same proxy

    # Without PROXY_COUNT the header is not trusted: everyone is the proxy.
    direct = make_app(RATELIMIT_DEFAULT="2 per minute").test_client()
    for resident in ("198.51.100.7", "198.51.100.8"):
        assert call(direct, resident).status_code == 200
    _assert_json_refusal(call(direct, "198.51.100.9"))


def test_resident_filing_too_often_gets_a_friendly_page(make_app):
    client = make_app(RATELIMIT_WRITES="3 per minute").test_client()
    for _ in range(3):
        # An empty form comes back with its messages: still a use of the allowance.
        assert client.post("/requests", data={}, environ_base=RESIDENT).status_code == 422
    refused = client.post("/requests", data={}, environ_base=RESIDENT)
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    page = refused.get_data(as_text=True)
    assert "Too many requests from your address" in page
    assert "Back to the map" in page
    assert _retry_after(refused) >= 1
    # Reading is not writing: the map still opens.
    assert client.get("/", environ_base=RESIDENT).status_code == 200
    assert client.post("/requests", data={}, environ_base=NEIGHBOUR).status_code == 422


def test_filing_and_supporting_share_one_write_allowance(make_app):
    client = make_app(RATELIMIT_WRITES="3 per minute").test_client()
    assert client.post("/requests", data={}, environ_base=RESIDENT).status_code == 422
    assert client.post("/api/requests", json={}, environ_base=RESIDENT).status_code == 422
    supporting = client.post(
        "/api/requests/SR-2026-000001/supports",
        json={"contact": "a@example.org"},
        environ_base=RESIDENT,
    )
    assert supporting.status_code == 404
    _assert_json_refusal(
        client.post("/api/requests/SR-2026-000001/supports", json={}, environ_base=RESIDENT)
    )
    refused_form = client.post("/requests/SR-2026-000001/support", data={}, environ_base=RESIDENT)
    assert refused_form.status_code == 429
    assert refused_form.mimetype == "text/html"


def test_open311_client_over_the_limit_gets_the_standards_error_list(make_app):
    client = make_app(RATELIMIT_WRITES="1 per minute").test_client()
    form = {"service_code": "BUS_STOP_REQUEST", "lat": "0", "long": "0", "description": "x"}
    first = client.post("/open311/v2/requests.json", data=form, environ_base=RESIDENT)
    assert first.status_code != 429
    refused = client.post("/open311/v2/requests.json", data=form, environ_base=RESIDENT)
    assert refused.status_code == 429
    [error] = refused.get_json()
    assert error["code"] == 429
    assert error["description"]
    assert _retry_after(refused) >= 1


def test_static_files_and_api_docs_are_never_limited(make_app):
    client = make_app(RATELIMIT_DEFAULT="2 per minute").test_client()
    for path in (
        "/static/css/site.css",
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/api/openapi.json",
        "/api/docs",
    ):
        for _ in range(5):
            assert client.get(path, environ_base=RESIDENT).status_code == 200, path


def test_limits_can_be_switched_off(make_app):
    client = make_app(RATELIMIT_ENABLED=False, RATELIMIT_DEFAULT="1 per minute").test_client()
    for _ in range(5):
        assert client.get("/api/layers/routes", environ_base=RESIDENT).status_code == 200


def test_workers_sharing_redis_count_each_client_once(make_app, shared_redis):
    """Two apps on one Redis stand for two workers: the client's calls add up across them."""
    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_DEFAULT": "3 per minute"}
    first_worker = make_app(**settings).test_client()
    second_worker = make_app(**settings).test_client()
    assert first_worker.get("/api/layers/stops", environ_base=RESIDENT).status_code == 200
    assert second_worker.get("/api/layers/stops", environ_base=RESIDENT).status_code == 200
    assert first_worker.get("/api/layers/stops", environ_base=RESIDENT).status_code == 200
    _assert_json_refusal(second_worker.get("/api/layers/stops", environ_base=RESIDENT))
    assert second_worker.get("/api/layers/stops", environ_base=NEIGHBOUR).status_code == 200
    assert shared_redis.keys("*transitreq*"), "counts were not kept in Redis"


def test_form_writes_counted_in_redis(make_app, shared_redis):
    client = make_app(
        RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_WRITES="3 per minute"
    ).test_client()
    for _ in range(3):
        assert client.post("/requests", data={}, environ_base=RESIDENT).status_code == 422
    refused = client.post("/requests", data={}, environ_base=RESIDENT)
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert _retry_after(refused) >= 1

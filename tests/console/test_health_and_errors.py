"""/health, error pages, and Redis being down: never a traceback."""

from __future__ import annotations

import re

import pytest

from pyasynq.console import create_app
from tests.console.conftest import ROOT, assert_no_traceback, make_config


def test_health_ok(client):
    resp = client.get(f"{ROOT}/health")
    assert resp.status_code == 200
    assert resp.json == {"status": "ok", "redis": "up"}
    assert resp.headers["Cache-Control"] == "no-store"


def test_health_503_when_redis_is_down(dead_redis_url):
    app = create_app(make_config(dead_redis_url))
    resp = app.test_client().get(f"{ROOT}/health")
    assert resp.status_code == 503
    assert resp.json["status"] == "unavailable"
    assert resp.json["redis"] == "down"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/queues/default",
        "/queues/default/tasks/abc",
        "/_fragments/dashboard",
        "/_fragments/queues/default",
    ],
)
def test_redis_down_is_a_503_page(dead_redis_url, path):
    app = create_app(make_config(dead_redis_url))
    resp = app.test_client().get(ROOT + path)
    assert resp.status_code == 503
    html = resp.get_data(as_text=True)
    assert "Redis unavailable" in html
    assert "cannot reach Redis" in html
    assert_no_traceback(html)


def test_redis_down_on_a_post_is_a_503_page(dead_redis_url):
    app = create_app(make_config(dead_redis_url))
    client = app.test_client()
    html = client.get(f"{ROOT}/no-such-page").get_data(as_text=True)
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', html).group(1)
    resp = client.post(f"{ROOT}/queues/default/pause", data={"csrf_token": token})
    assert resp.status_code == 503
    assert_no_traceback(resp.get_data(as_text=True))


def test_unknown_page_is_a_404_page(client):
    resp = client.get(f"{ROOT}/no/such/page")
    assert resp.status_code == 404
    assert "There is no page at this address." in resp.get_data(as_text=True)


def test_wrong_method_is_a_405_page(client):
    resp = client.get(f"{ROOT}/queues/default/pause")
    assert resp.status_code == 405
    assert "GET is not allowed here" in resp.get_data(as_text=True)


def test_htmx_errors_are_fragments(dead_redis_url):
    app = create_app(make_config(dead_redis_url))
    resp = app.test_client().get(f"{ROOT}/_fragments/dashboard", headers={"HX-Request": "true"})
    assert resp.status_code == 503
    html = resp.get_data(as_text=True)
    assert "<html" not in html and 'data-status="503"' in html


class ExplodingInspector:
    def queues(self):
        raise RuntimeError("secret internals /etc/passwd")

    def close(self):
        pass


def test_unexpected_error_is_a_500_page_without_details(redis_url):
    app = create_app(make_config(redis_url), inspector=ExplodingInspector())
    resp = app.test_client().get(f"{ROOT}/")
    assert resp.status_code == 500
    html = resp.get_data(as_text=True)
    assert "Internal error" in html
    assert "secret internals" not in html
    assert_no_traceback(html)


def test_security_headers(client):
    resp = client.get(f"{ROOT}/")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in resp.headers["Vary"]

"""Standalone at root_path, and mounted inside a host app at any prefix: every link follows."""

from __future__ import annotations

import re

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from pyasynq.console import create_app, mount
from tests.console.conftest import make_config


def links(html: str) -> list[str]:
    return re.findall(r'(?:href|action|formaction|hx-get|src)="([^"]+)"', html)


def test_standalone_serves_under_root_path(client, producer):
    from pyasynq import Task

    producer.enqueue(Task("t", b"x"), queue="default")
    resp = client.get("/monitoring/")
    assert resp.status_code == 200
    found = links(resp.get_data(as_text=True))
    assert found and all(link.startswith("/monitoring/") for link in found), found


def test_standalone_redirects_bare_paths(client):
    assert client.get("/").headers["Location"].endswith("/monitoring/")
    assert client.get("/monitoring").status_code == 308
    assert client.get("/elsewhere").status_code == 404


def test_site_root(redis_url):
    app = create_app(make_config(redis_url, root_path=""))
    resp = app.test_client().get("/")
    assert resp.status_code == 200
    assert 'href="/static/css/console.css"' in resp.get_data(as_text=True)


def test_mounted_in_a_host_app_at_two_prefixes(redis_url, producer):
    from pyasynq import Task

    producer.enqueue(Task("t", b"x"), queue="q one")
    host = Flask("host")

    @host.get("/")
    def home():
        return "host home"

    a = create_app(make_config(redis_url))
    b = create_app(make_config(redis_url, read_only=True))
    host.wsgi_app = DispatcherMiddleware(host.wsgi_app, {"/ops/queues": a, "/admin/jobs": b})
    client = host.test_client()
    assert client.get("/").get_data(as_text=True) == "host home"
    for prefix in ("/ops/queues", "/admin/jobs"):
        resp = client.get(prefix + "/")
        assert resp.status_code == 200, prefix
        html = resp.get_data(as_text=True)
        found = links(html)
        assert found and all(link.startswith(prefix + "/") for link in found), (prefix, found)
        assert f'href="{prefix}/queues/q%20one"' in html
        page = client.get(prefix + "/queues/q%20one?state=pending")
        assert page.status_code == 200
        assert client.get(prefix + "/health").json["status"] == "ok"
    # The read-write mount can act through its own prefix; its session cookie is scoped to it.
    html = client.get("/ops/queues/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    resp = client.post("/ops/queues/queues/q%20one/pause", data={"csrf_token": token})
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/ops/queues/"
    assert "paused" in client.get("/ops/queues/").get_data(as_text=True)
    assert (
        client.post("/admin/jobs/queues/q%20one/unpause", data={"csrf_token": token}).status_code
        == 403
    )


def test_mount_helper(redis_url):
    host = Flask("host")
    console_app = mount(host, "/tools/q/", make_config(redis_url))
    assert console_app.config["CONSOLE"].redis_url == redis_url
    resp = host.test_client().get("/tools/q/health")
    assert resp.status_code == 200

"""Security of the console: headers and cookies, CSRF, login and roles, the host hook, audit."""

from __future__ import annotations

import base64
import re

import pytest
from werkzeug.security import generate_password_hash

from pyasynq import Task
from pyasynq.broker import keys
from pyasynq.console import create_app
from pyasynq.console.auth import User, parse_users
from pyasynq.console.config import ConsoleConfig
from pyasynq.console.security import CSP
from tests.console.conftest import ROOT, assert_no_traceback, make_config

FAST_HASH = "pbkdf2:sha256:1000"
USERS = (
    f"alice:operator:{generate_password_hash('op-pass', method=FAST_HASH)},"
    f"bob:viewer:{generate_password_hash('view-pass', method=FAST_HASH)}"
)


def basic(name: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


def hx_token(html: str) -> str:
    match = re.search(r'"X-CSRF-Token": "([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def make_app(redis_url):
    made = []

    def factory(**overrides):
        authenticate = overrides.pop("authenticate_hook", None)
        app = create_app(make_config(redis_url, **overrides), authenticate=authenticate)
        app.config["TESTING"] = True
        made.append(app)
        return app

    yield factory
    for app in made:
        app.extensions["pyasynq"].close()


# -- headers and cookies ----------------------------------------------------------------------


def test_every_response_carries_the_protective_headers(client):
    for path in ("/", "/health", "/no-such-page", "/static/css/console.css", "/audit"):
        resp = client.get(ROOT + path)
        assert resp.headers["Content-Security-Policy"] == CSP, path
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "script-src 'self';" in CSP and "unsafe-inline" not in CSP


def test_templates_have_no_inline_script_or_style():
    from pyasynq.console.paths import templates_dir

    for path in templates_dir().glob("*.html"):
        text = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)  # Jinja comments
        assert " style=" not in text, path
        assert not re.search(r"<script(?![^>]*\b(src|type=\"application/json\")=?)", text), path
        assert not re.search(r"\son[a-z]+=", text), path


def test_session_cookie_is_httponly_lax_and_secure_only_over_https(make_app):
    app = make_app()
    plain = app.test_client().get(ROOT + "/")
    cookie = plain.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    https = app.test_client().get(ROOT + "/", base_url="https://localhost")
    assert "Secure" in https.headers["Set-Cookie"]
    assert https.headers["Strict-Transport-Security"].startswith("max-age=")


def test_forwarded_proto_is_trusted_only_when_configured(make_app):
    forwarded = {"X-Forwarded-Proto": "https"}
    untrusting = make_app().test_client().get(ROOT + "/", headers=forwarded)
    assert "Secure" not in untrusting.headers["Set-Cookie"]
    trusting = make_app(trust_proxy=True).test_client().get(ROOT + "/", headers=forwarded)
    assert "Secure" in trusting.headers["Set-Cookie"]


# -- CSRF and methods ------------------------------------------------------------------------


def test_every_state_changing_route_is_post_and_needs_csrf(app, producer):
    producer.enqueue(Task("t"), queue="q1", task_id="t1")
    client = app.test_client()
    changing = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.methods and rule.methods - {"GET", "HEAD", "OPTIONS"}
    ]
    assert changing, "no state-changing routes found"
    for rule in changing:
        assert "GET" not in rule.methods or rule.endpoint == "auth.login", rule
        # state changes are POST only (the API's catch-all just answers unknown writes with 404)
        assert rule.methods <= {"POST", "OPTIONS"} or rule.endpoint in (
            "auth.login",
            "api.not_found_write",
        ), (rule.rule, rule.methods)
        url = ROOT + re.sub(
            r"<[^>]*?:?(\w+)>",
            lambda m: {"state": "pending", "verb": "delete-all", "action": "delete"}.get(
                m.group(1), "q1"
            ),
            rule.rule,
        )
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            resp = client.open(url, method=method)
            # the JSON API answers a write without its CSRF header or Bearer token with 403
            refused = (400, 403, 404, 405) if rule.endpoint.startswith("api.") else (400, 404, 405)
            assert resp.status_code in refused, (rule.rule, method, resp.status_code)
            if resp.status_code == 400:
                assert "security token" in resp.get_data(as_text=True)
    assert producer.broker.redis.exists("asynq:{q1}:t:t1")


def test_get_never_changes_state(client, producer):
    producer.enqueue(Task("t"), queue="q1", task_id="t1")
    for path in (
        "/queues/q1/pause",
        "/queues/q1/delete",
        "/queues/q1/pending/delete-all",
        "/queues/q1/tasks/t1/delete",
        "/logout",
    ):
        assert client.get(ROOT + path).status_code in (404, 405), path
    assert producer.broker.redis.exists("asynq:{q1}:t:t1")


# -- built-in login and roles ----------------------------------------------------------------


def test_basic_auth_challenges_strangers_and_lets_health_through(make_app):
    client = make_app(auth="basic", users=USERS).test_client()
    resp = client.get(ROOT + "/")
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("Basic")
    assert client.get(ROOT + "/", headers=basic("alice", "wrong")).status_code == 401
    assert client.get(ROOT + "/", headers=basic("nobody", "op-pass")).status_code == 401
    assert client.get(ROOT + "/", headers={"Authorization": "Basic %%%"}).status_code == 401
    assert client.get(ROOT + "/health").status_code == 200
    ok = client.get(ROOT + "/", headers=basic("alice", "op-pass"))
    assert ok.status_code == 200 and "alice" in ok.get_data(as_text=True)


def test_viewer_reads_but_cannot_act_and_sees_no_controls(make_app, producer):
    producer.enqueue(Task("t"), queue="q1")
    client = make_app(auth="basic", users=USERS).test_client()
    viewer = basic("bob", "view-pass")
    page = client.get(ROOT + "/", headers=viewer)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "/queues/q1/pause" not in html and "read-only" in html
    token = hx_token(html)
    resp = client.post(ROOT + "/queues/q1/pause", headers={**viewer, "X-CSRF-Token": token})
    assert resp.status_code == 403 and "viewer" in resp.get_data(as_text=True)
    assert not producer.broker.redis.exists(keys.paused("q1"))
    operator = basic("alice", "op-pass")
    html = client.get(ROOT + "/", headers=operator).get_data(as_text=True)
    assert "/queues/q1/pause" in html
    resp = client.post(
        ROOT + "/queues/q1/pause", headers={**operator, "X-CSRF-Token": hx_token(html)}
    )
    assert resp.status_code == 303 and producer.broker.redis.exists(keys.paused("q1"))


def test_form_login_logout_and_safe_next(make_app):
    client = make_app(auth="form", users=USERS).test_client()
    resp = client.get(ROOT + "/audit")
    assert resp.status_code == 303 and "/login" in resp.headers["Location"]
    login_page = client.get(ROOT + "/login?next=https://evil.example/")
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', login_page.get_data(as_text=True)
    ).group(1)
    bad = client.post(
        ROOT + "/login", data={"csrf_token": token, "username": "alice", "password": "no"}
    )
    assert bad.status_code == 401 and "Wrong user name or password" in bad.get_data(as_text=True)
    no_csrf = client.post(ROOT + "/login", data={"username": "alice", "password": "op-pass"})
    assert no_csrf.status_code == 400
    good = client.post(
        ROOT + "/login",
        data={
            "csrf_token": token,
            "username": "alice",
            "password": "op-pass",
            "next": "https://evil.example/",
        },
    )
    assert good.status_code == 303 and good.headers["Location"].endswith(ROOT + "/")
    home = client.get(ROOT + "/")
    assert home.status_code == 200 and 'id="logout-button"' in home.get_data(as_text=True)
    new_token = hx_token(home.get_data(as_text=True))
    assert new_token != token, "the session (and its CSRF token) must be renewed at sign-in"
    out = client.post(ROOT + "/logout", data={"csrf_token": new_token})
    assert out.status_code == 303
    assert client.get(ROOT + "/").status_code == 303


def test_repeated_wrong_passwords_are_throttled_per_user_and_address(make_app):
    client = make_app(auth="form", users=USERS).test_client()
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get(ROOT + "/login").get_data(as_text=True)
    ).group(1)

    def attempt(name: str, password: str):
        return client.post(
            ROOT + "/login", data={"csrf_token": token, "username": name, "password": password}
        )

    assert [attempt("alice", "guess").status_code for _ in range(5)] == [401] * 5
    blocked = attempt("alice", "op-pass")  # even the right password waits out the window
    assert blocked.status_code == 429 and "Too many failed sign-ins" in blocked.get_data(
        as_text=True
    )
    assert_no_traceback(blocked.get_data(as_text=True))
    assert attempt("bob", "view-pass").status_code == 303  # other users are not locked out

    basic_client = make_app(auth="basic", users=USERS).test_client()
    codes = [
        basic_client.get(ROOT + "/", headers=basic("alice", "x")).status_code for _ in range(6)
    ]
    assert codes == [401] * 5 + [429]


def test_login_throttle_window_and_memory_bound():
    from pyasynq.console.auth import LoginThrottle

    now = [0.0]
    throttle = LoginThrottle(limit=2, window=60, max_keys=3, clock=lambda: now[0])
    key = ("alice", "1.2.3.4")
    throttle.failed(key)
    assert throttle.retry_after(key) == 0
    throttle.failed(key)
    assert throttle.retry_after(key) == 60
    now[0] = 59.5
    assert throttle.retry_after(key) == 0.5
    now[0] = 61
    assert throttle.retry_after(key) == 0  # the window passed
    throttle.failed(key)
    throttle.succeeded(key)
    assert throttle.retry_after(key) == 0
    for i in range(10):
        throttle.failed((f"u{i}", "x"))
    assert len(throttle._failures) <= 3


def test_json_api_routes_are_covered_by_the_same_checks(make_app):
    app = make_app(auth="basic", users=USERS)
    client = app.test_client()
    api_rules = [r for r in app.url_map.iter_rules() if "/api/" in r.rule and "<" not in r.rule]
    assert api_rules
    for rule in api_rules:
        if "GET" in (rule.methods or ()):
            assert client.get(ROOT + rule.rule).status_code == 401, rule.rule
    assert client.get(ROOT + "/api/audit", headers=basic("bob", "view-pass")).status_code == 200


def test_host_hook_decides_who_the_user_is(make_app):
    def hook(request):
        role = request.headers.get("X-Host-Role")
        return User("host-" + role, role) if role else None

    client = make_app(authenticate_hook=hook).test_client()
    assert client.get(ROOT + "/").status_code == 401
    page = client.get(ROOT + "/", headers={"X-Host-Role": "viewer"})
    assert page.status_code == 200 and "host-viewer" in page.get_data(as_text=True)
    token = hx_token(page.get_data(as_text=True))
    assert (
        client.post(
            ROOT + "/queues/x/pause", headers={"X-Host-Role": "viewer", "X-CSRF-Token": token}
        ).status_code
        == 403
    )


def test_read_only_mode_beats_the_operator_role(make_app):
    client = make_app(auth="basic", users=USERS, read_only=True).test_client()
    html = client.get(ROOT + "/", headers=basic("alice", "op-pass")).get_data(as_text=True)
    resp = client.post(
        ROOT + "/queues/x/pause",
        headers={**basic("alice", "op-pass"), "X-CSRF-Token": hx_token(html)},
    )
    assert resp.status_code == 403 and "read-only" in resp.get_data(as_text=True)


def test_user_configuration_is_validated():
    assert [u.role for u in parse_users(USERS)] == ["operator", "viewer"]
    with pytest.raises(ValueError, match="hash"):
        parse_users("alice:operator:plaintext")
    with pytest.raises(ValueError, match="role"):
        parse_users("alice:admin:x$y")
    with pytest.raises(ValueError, match="at least one user"):
        ConsoleConfig(auth="basic")
    with pytest.raises(ValueError, match="auth must be"):
        ConsoleConfig(auth="ldap")
    env = ConsoleConfig.from_env(
        {"CONSOLE_AUTH": "form", "CONSOLE_USERS": USERS, "CONSOLE_TRUST_PROXY": "1"}
    )
    assert env.auth == "form" and len(env.users) == 2 and env.trust_proxy
    assert "op-pass" not in repr(env) and "pbkdf2" not in repr(env)


# -- audit -----------------------------------------------------------------------------------


def test_actions_are_audited_with_who_what_where_and_how_many(make_app, producer):
    ids = [producer.enqueue(Task("t"), queue="q1").id for _ in range(3)]
    client = make_app(auth="basic", users=USERS).test_client()
    alice = basic("alice", "op-pass")
    token = hx_token(client.get(ROOT + "/", headers=alice).get_data(as_text=True))
    h = {**alice, "X-CSRF-Token": token}
    assert client.post(ROOT + "/queues/q1/pause", headers=h).status_code == 303
    # the first POST of a bulk action only asks for confirmation: not logged
    assert (
        client.post(
            ROOT + "/queues/q1/pending/batch", headers=h, data={"action": "delete", "ids": ids[:2]}
        ).status_code
        == 200
    )
    assert (
        client.post(
            ROOT + "/queues/q1/pending/batch",
            headers=h,
            data={"action": "delete", "ids": ids[:2], "confirmed": "1"},
        ).status_code
        == 303
    )
    client.post(
        ROOT + "/queues/q1/pause", headers={**basic("bob", "view-pass"), "X-CSRF-Token": token}
    )
    data = client.get(ROOT + "/api/audit", headers=alice).get_json()
    assert data["total"] == 2  # the viewer's refused pause is kept apart
    deleted, paused = data["entries"]
    assert (
        paused["user"] == "alice" and paused["action"] == "pause queue" and paused["queue"] == "q1"
    )
    assert deleted["action"] == "delete selected pending" and deleted["count"] == 2
    assert sorted(deleted["task_ids"]) == sorted(ids[:2]) and deleted["remote_addr"] == "127.0.0.1"
    refused = client.get(ROOT + "/api/audit?log=refused", headers=alice).get_json()
    (denied,) = refused["entries"]
    assert denied["user"] == "bob" and denied["status"] == 403
    page = client.get(ROOT + "/audit", headers=alice).get_data(as_text=True)
    assert "delete selected pending" in page and "alice" in page
    assert_no_traceback(page)


def test_audit_log_is_bounded(redis_url):
    from pyasynq.broker.broker import Broker
    from pyasynq.extras.audit import AuditLog

    broker = Broker(redis_url)
    log = AuditLog(broker, max_entries=5)
    for i in range(12):
        log.record("u", f"a{i}", queue="q")
    assert log.count() == 5
    assert [e.action for e in log.list(1, 3)] == ["a11", "a10", "a9"]
    broker.redis.lpush("pyasynq:audit", b"\xff not json")
    assert log.list(1, 1)[0].action == "unreadable"


def test_api_token_client_acts_as_operator_under_basic_auth(make_app, producer):
    producer.enqueue(Task("t"), queue="q1")
    client = make_app(auth="basic", users=USERS, api_token="s3cret-token").test_client()
    bearer = {"Authorization": "Bearer s3cret-token"}
    assert (
        client.get(ROOT + "/api/queues", headers={"Authorization": "Bearer wrong"}).status_code
        == 401
    )
    assert client.get(ROOT + "/api/queues", headers=bearer).status_code == 200
    assert client.get(ROOT + "/", headers=bearer).status_code == 401  # pages still need a user
    assert client.post(ROOT + "/api/queues/q1/pause", headers=bearer).status_code < 300
    entry = client.get(ROOT + "/api/audit", headers=bearer).get_json()["entries"][0]
    assert entry["user"] == "api-token" and entry["queue"] == "q1"

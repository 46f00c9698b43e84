"""Sessions that end, an audit trail strangers cannot flush, and bounded sign-in cost.

Times move through the Inspector's ManualClock (sessions) or an injected clock (throttles,
caches, rate limits); nothing here sleeps.
"""

from __future__ import annotations

import re
import time

import pytest
from werkzeug.security import generate_password_hash

from pyasynq import Task
from pyasynq.console import create_app, sessions
from pyasynq.console.audit import RateLimit
from pyasynq.console.auth import ADDRESS_LIMIT, CredentialCache, User
from pyasynq.extras.audit import AuditLog
from pyasynq.inspector import Inspector
from tests.console.conftest import ROOT, assert_no_traceback, make_config
from tests.console.test_security import USERS, basic, hx_token

FAST_HASH = "pbkdf2:sha256:1000"
COOKIE = "pyasynq_console"


@pytest.fixture
def make_app(redis_url, clock):
    made = []

    def factory(**overrides):
        inspector = Inspector(redis_url, clock=clock)
        app = create_app(make_config(redis_url, **overrides), inspector=inspector)
        app.config["TESTING"] = True
        made.append((app, inspector))
        return app

    yield factory
    for app, inspector in made:
        app.extensions["pyasynq"].close()
        inspector.close()


def login(client, name="alice", password="op-pass"):
    page = client.get(ROOT + "/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post(
        ROOT + "/login", data={"csrf_token": token, "username": name, "password": password}
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]
    return resp


def signed_in(client) -> bool:
    return client.get(ROOT + "/").status_code == 200


def copy_cookie(source, target) -> None:
    target.set_cookie(COOKIE, source.get_cookie(COOKIE, path=ROOT + "/").value, path=ROOT + "/")


# -- sessions ---------------------------------------------------------------------------------


def test_a_copied_cookie_stops_working_after_logout(make_app):
    app = make_app(auth="form", users=USERS)
    browser, thief = app.test_client(), app.test_client()
    login(browser)
    copy_cookie(browser, thief)
    assert signed_in(thief), "a copied cookie works while the session lives"
    token = hx_token(browser.get(ROOT + "/").get_data(as_text=True))
    assert browser.post(ROOT + "/logout", data={"csrf_token": token}).status_code == 303
    resp = thief.get(ROOT + "/")
    assert resp.status_code == 303 and "/login" in resp.headers["Location"]
    assert "signed out" in thief.get(resp.headers["Location"]).get_data(as_text=True)
    # the same user signs in again with a fresh session; the old copy stays dead
    login(browser)
    assert signed_in(browser)
    assert not signed_in(thief)


def test_logout_ends_the_session_on_every_console_worker(make_app, redis_url):
    one, two = make_app(auth="form", users=USERS), make_app(auth="form", users=USERS)
    browser, other = one.test_client(), two.test_client()
    login(browser)
    copy_cookie(browser, other)
    assert signed_in(other)
    token = hx_token(browser.get(ROOT + "/").get_data(as_text=True))
    browser.post(ROOT + "/logout", data={"csrf_token": token})
    assert not signed_in(other)


def test_idle_timeout_follows_the_clock(make_app, clock):
    app = make_app(auth="form", users=USERS, session_idle_timeout=600, session_lifetime=3600)
    client = app.test_client()
    login(client)
    for _ in range(3):  # active every 500 s: never idle
        clock.advance(500)
        assert signed_in(client)
    clock.advance(601)
    resp = client.get(ROOT + "/")
    assert resp.status_code == 303
    assert "away too long" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_absolute_lifetime_ends_an_active_session(make_app, clock):
    app = make_app(auth="form", users=USERS, session_idle_timeout=600, session_lifetime=3600)
    client = app.test_client()
    login(client)
    for _ in range(7):
        clock.advance(500)
        assert signed_in(client)  # 3500 s, active all along
    clock.advance(200)
    resp = client.get(ROOT + "/")
    assert resp.status_code == 303
    assert "maximum age" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_changing_a_password_ends_its_sessions(make_app):
    old = make_app(auth="form", users=USERS)
    changed = make_app(
        auth="form",
        users=f"alice:operator:{generate_password_hash('new-pass', method=FAST_HASH)}",
    )
    client = old.test_client()
    login(client)
    moved = changed.test_client()
    copy_cookie(client, moved)
    assert not signed_in(moved), "a session signed in with the old password must end"
    login(moved, password="new-pass")
    assert signed_in(moved)


def test_session_settings_come_from_the_environment():
    from pyasynq.console.config import ConsoleConfig

    cfg = ConsoleConfig.from_env(
        {"CONSOLE_SESSION_IDLE_TIMEOUT": "0", "CONSOLE_SESSION_LIFETIME": "7200"}
    )
    assert (cfg.session_idle_timeout, cfg.session_lifetime) == (0, 7200)
    defaults = ConsoleConfig()
    assert (defaults.session_idle_timeout, defaults.session_lifetime) == (3600, 43200)
    with pytest.raises(ValueError, match="session_lifetime"):
        ConsoleConfig.from_env({"CONSOLE_SESSION_LIFETIME": "5"})


def test_without_a_secret_key_consoles_still_share_one_through_redis(make_app):
    one = make_app(auth="form", users=USERS, secret_key=None)
    two = make_app(auth="form", users=USERS, secret_key=None)
    browser, other = one.test_client(), two.test_client()
    login(browser)
    copy_cookie(browser, other)
    assert signed_in(other)


# -- audit -------------------------------------------------------------------------------------


def test_refused_requests_never_evict_actions(make_app, redis_url, producer):
    producer.enqueue(Task("t"), queue="q1")
    app = make_app(auth="basic", users=USERS)
    client = app.test_client()
    alice = basic("alice", "op-pass")
    token = hx_token(client.get(ROOT + "/", headers=alice).get_data(as_text=True))
    h = {**alice, "X-CSRF-Token": token}
    assert client.post(ROOT + "/queues/q1/pause", headers=h).status_code == 303
    stranger = app.test_client()
    for i in range(100):  # strangers, wrong passwords, no CSRF token, a viewer: all refused
        stranger.post(ROOT + "/queues/q1/unpause")
        stranger.post(ROOT + "/queues/q1/unpause", headers=basic("alice", f"guess{i}"))
        stranger.post(ROOT + "/queues/q1/unpause", headers=alice)
        stranger.post(ROOT + "/queues/q1/unpause", headers=basic("bob", "view-pass"))
    broker = Inspector(redis_url).broker
    actions, refused = AuditLog(broker), AuditLog.refused(broker)
    assert [e.action for e in actions.list(1, 10)] == ["pause queue"]
    assert 0 < refused.count() <= 30, "refused requests are rate-limited per process"
    assert {e.status for e in refused.list(1, 30)} <= {400, 401, 403, 429}
    page = client.get(ROOT + "/audit?log=refused", headers=alice).get_data(as_text=True)
    assert "Refused requests" in page
    broker.close()


def test_refused_rate_limit_counts_what_it_skipped():
    now = [0.0]
    limit = RateLimit(2, clock=lambda: now[0])
    assert [limit.take() for _ in range(5)] == [0, 0, None, None, None]
    now[0] = 61
    assert limit.take() == 3


def test_failed_sign_ins_go_to_the_refused_list(make_app, redis_url):
    client = make_app(auth="form", users=USERS).test_client()
    page = client.get(ROOT + "/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post(ROOT + "/login", data={"csrf_token": token, "username": "alice", "password": "x"})
    login(client)
    broker = Inspector(redis_url).broker
    assert [(e.action, e.user) for e in AuditLog(broker).list(1, 5)] == [("login", "alice")]
    assert [(e.action, e.user) for e in AuditLog.refused(broker).list(1, 5)] == [
        ("login failed", "alice")
    ]
    broker.close()


def test_the_audit_hook_never_turns_a_response_into_an_error(app, producer, r):
    producer.enqueue(Task("t"), queue="q1")
    client = app.test_client()
    token = hx_token(client.get(ROOT + "/").get_data(as_text=True))
    deep = "[" * 50_000 + "]" * 50_000  # the view ignores the body; the hook would choke on it
    resp = client.post(
        ROOT + "/api/queues/q1/pause",
        data=deep,
        content_type="application/json",
        headers={"X-CSRF-Token": token},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    r.delete("pyasynq:audit")
    r.set("pyasynq:audit", "not a list")  # the log itself is broken: the action still answers
    resp = client.post(ROOT + "/api/queues/q1/unpause", headers={"X-CSRF-Token": token})
    assert resp.status_code == 200 and resp.get_json()["paused"] is False


# -- authentication cost -----------------------------------------------------------------------


def test_one_address_cannot_buy_hashes_with_random_user_names(make_app):
    client = make_app(auth="basic", users=USERS).test_client()
    alice = basic("alice", "op-pass")
    assert client.get(ROOT + "/", headers=alice).status_code == 200  # cached from here on
    codes = [
        client.get(ROOT + "/", headers=basic(f"user{i}", "guess")).status_code
        for i in range(ADDRESS_LIMIT + 2)
    ]
    assert codes == [401] * ADDRESS_LIMIT + [429, 429]
    blocked = client.get(ROOT + "/", headers=basic("bob", "view-pass"))
    assert blocked.status_code == 429 and "from this address" in blocked.get_data(as_text=True)
    assert client.get(ROOT + "/", headers=alice).status_code == 200, "a cached check needs no hash"


def test_credential_cache_expires_and_stays_bounded():
    now = [0.0]
    cache = CredentialCache(ttl=60, max_entries=3, clock=lambda: now[0])
    alice = User("alice")
    cache.put("alice", "pw", alice)
    assert cache.get("alice", "pw") == alice
    assert cache.get("alice", "other") is None and cache.get("alice2", "pw") is None
    assert b"pw" not in b"".join(cache._entries), "keys are HMACs, never the password"
    now[0] = 61
    assert cache.get("alice", "pw") is None
    for i in range(10):
        cache.put(f"u{i}", "pw", alice)
    assert len(cache) == 3 and cache.get("u9", "pw") == alice and cache.get("u0", "pw") is None


def test_basic_auth_reuses_a_cached_check(make_app):
    app = make_app(auth="basic", users=USERS)
    client = app.test_client()
    for _ in range(3):
        assert client.get(ROOT + "/", headers=basic("alice", "op-pass")).status_code == 200
    assert len(app.extensions["pyasynq_credential_cache"]) == 1
    assert client.get(ROOT + "/", headers=basic("alice", "wrong")).status_code == 401


def test_audit_page_and_api_refuse_a_bad_log_name(app):
    client = app.test_client()
    resp = client.get(ROOT + "/api/audit?log=nope")
    assert resp.status_code == 400 and "must be actions or refused" in resp.get_data(as_text=True)
    assert_no_traceback(client.get(ROOT + "/audit?page=99999999").get_data(as_text=True))


def test_health_answers_for_itself_when_redis_is_down_under_form_auth(dead_redis_url):
    from pyasynq.console.config import ConsoleConfig

    app = create_app(
        ConsoleConfig(
            redis_url=dead_redis_url,
            secret_key="k",
            auth="form",
            users=USERS,
            record_throughput=False,
        )
    )
    client = app.test_client()
    record = app.config["CONSOLE"].users[0]
    with client.session_transaction() as sess:  # a session good in every way but the generation
        sess.update(
            user=record.name,
            pw=sessions.password_fingerprint(record.password_hash),
            iat=time.time(),
            seen=time.time(),
            gen=0,
        )
    resp = client.get(ROOT + "/health")
    assert resp.status_code == 503 and resp.get_json()["status"] != "ok"
    app.extensions["pyasynq"].close()

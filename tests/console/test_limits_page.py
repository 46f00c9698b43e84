"""The console's limits page, the queue page's marks and the pyasynq_limit_* metrics."""

from __future__ import annotations

import base64
import re

from werkzeug.security import generate_password_hash

from pyasynq import Limit, Limits, Task
from pyasynq.broker.broker import Broker
from pyasynq.extras.limiter import Limiter
from tests.console.conftest import ROOT, assert_no_traceback, make_config, token_in

USERS = (
    f"alice:operator:{generate_password_hash('op', method='pbkdf2:sha256:1000')},"
    f"bob:viewer:{generate_password_hash('view', method='pbkdf2:sha256:1000')}"
)


def basic(name: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


def test_operator_sets_and_removes_limits_and_sees_their_use(client, redis_url):
    page = client.get(f"{ROOT}/limits")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "No limits are set" in html and 'id="limit-form"' in html
    form = {"csrf_token": token_in(html), "name": "api", "kind": "rate", "limit": "50"}
    form.update(period="1m", queue="default", task_type="email:*", key="header:customer")
    resp = client.post(f"{ROOT}/limits", data=form)
    assert resp.status_code == 303
    assert Limits(redis_url).get("api") == Limit(
        "api", "rate", 50, 60.0, "default", "email:*", "header:customer"
    )
    html = client.get(f"{ROOT}/limits").get_data(as_text=True)
    assert 'data-limit="api"' in html and "50 per 1m" in html and "per header:customer" in html
    # bad input: a clear message, nothing stored, no traceback
    bad = dict(form, name="bad name!", limit="x")
    resp = client.post(f"{ROOT}/limits", data=bad, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Limit not saved" in html
    assert_no_traceback(html)
    resp = client.post(f"{ROOT}/limits/api/delete", data={"csrf_token": form["csrf_token"]})
    assert resp.status_code == 303 and Limits(redis_url).list() == []
    html = client.get(f"{ROOT}/limits/").get_data(as_text=True)  # unknown path: no traceback
    assert_no_traceback(html)


def test_viewer_sees_limits_but_cannot_change_them(redis_url):
    from pyasynq.console import create_app

    Limits(redis_url).set_concurrency("pdf", 2, task_type="pdf:*")
    app = create_app(make_config(redis_url, auth="basic", users=USERS))
    app.config["TESTING"] = True
    c = app.test_client()
    html = c.get(f"{ROOT}/limits", headers=basic("bob", "view")).get_data(as_text=True)
    assert 'data-limit="pdf"' in html and 'id="limit-form"' not in html
    assert "/limits/pdf/delete" not in html
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', html).group(1)
    resp = c.post(
        f"{ROOT}/limits/pdf/delete", headers={**basic("bob", "view"), "X-CSRF-Token": token}
    )
    assert resp.status_code == 403 and Limits(redis_url).get("pdf") is not None
    app.extensions["pyasynq"].close()


def test_queue_page_marks_held_tasks_and_metrics_report_limits(client, redis_url, producer):
    Limits(redis_url).set_rate("reports", 1, per="1h", task_type="report")
    ids = [producer.enqueue(Task("report"), queue="default").id for _ in range(2)]
    broker = Broker(redis_url)
    limiter = Limiter(broker, clock=broker.clock, queues=["default"], hold_lease=30)
    limiter.refresh()
    got = limiter.admit(broker.dequeue_batch(["default"], 10))
    assert len(got) == 1  # the second report waits in scheduled for an hour
    html = client.get(f"{ROOT}/queues/default?state=scheduled").get_data(as_text=True)
    assert f'data-task-id="{ids[1]}"' in html and 'data-held-by="reports"' in html
    assert 'data-queue-limit="reports"' in html and "holding tasks" in html
    text = client.get(f"{ROOT}/metrics").get_data(as_text=True)
    assert 'pyasynq_limit_max{kind="rate",limit="reports"} 1.0' in text
    assert 'pyasynq_limit_waiting{kind="rate",limit="reports"} 1.0' in text
    assert 'pyasynq_limit_held_total{kind="rate",limit="reports"} 1.0' in text
    assert 'pyasynq_limit_admitted_total{kind="rate",limit="reports"} 1.0' in text
    assert 'pyasynq_limit_period_seconds{limit="reports"} 3600.0' in text
    broker.close()

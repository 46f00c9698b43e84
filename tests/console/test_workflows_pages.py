"""Console workflow pages: list, detail (steps, states, durations, links, failing error),
cancel (POST + CSRF, audited), the task page's link to its workflow, no traceback on junk."""

from __future__ import annotations

from pyasynq import ServeMux, SkipRetry, Task
from pyasynq.console import create_app
from pyasynq.extras.workflows import chain, group
from tests.console.conftest import ROOT, assert_no_traceback, make_config
from tests.support.worker_util import fast_server, wait_for


def run_until(redis_url, producer, wid, state):
    mux = ServeMux()

    @mux.handle("ok")
    def ok(ctx, task):
        task.result_writer.write(b'{"n": 1}')

    @mux.handle("bad")
    def bad(ctx, task):
        raise SkipRetry("disk <full>")

    server = fast_server(redis_url, concurrency=4)
    server.start(mux)
    try:
        wait_for(
            lambda: producer.broker and _state(producer, wid) == state, what=f"workflow {state}"
        )
    finally:
        server.shutdown()


def _state(producer, wid):
    from pyasynq.extras.workflows import get_workflow

    return get_workflow(producer.broker, wid).state


def test_list_detail_and_task_link(redis_url, producer, client):
    wf = producer.enqueue_workflow(
        chain(group(Task("ok"), Task("ok")), Task("bad"), Task("ok")), name="nightly <etl>"
    )
    run_until(redis_url, producer, wf.id, "failed")
    html = client.get(f"{ROOT}/workflows").get_data(as_text=True)
    assert wf.id in html and "nightly &lt;etl&gt;" in html and ">failed<" in html
    assert 'href="/monitoring/workflows"' in html  # nav link
    page = client.get(f"{ROOT}/workflows/{wf.id}").get_data(as_text=True)
    assert "disk &lt;full&gt;" in page and "data-failed-error" in page
    assert page.count('data-member-state="completed"') == 2
    assert 'data-member-state="archived"' in page and 'data-member-state="waiting"' in page
    failed_id = wf.stages[1][0].id
    assert f"/queues/default/tasks/{failed_id}" in page
    assert "Cancel workflow" not in page  # finished: nothing to cancel
    task_page = client.get(f"{ROOT}/queues/default/tasks/{failed_id}").get_data(as_text=True)
    assert f'href="/monitoring/workflows/{wf.id}"' in task_page
    frag = client.get(f"{ROOT}/_fragments/workflows/{wf.id}")
    assert frag.status_code == 200 and "workflow-members" in frag.get_data(as_text=True)
    missing = client.get(f"{ROOT}/workflows/%3Cscript%3E")
    assert missing.status_code == 404
    assert_no_traceback(missing.get_data(as_text=True))
    assert "<script>" not in missing.get_data(as_text=True)


def test_cancel_button(redis_url, producer, client, csrf, r):
    wf = producer.enqueue_workflow(chain(Task("ok", queue="parked"), Task("ok")))
    page = client.get(f"{ROOT}/workflows/{wf.id}").get_data(as_text=True)
    assert "Cancel workflow" in page
    assert client.post(f"{ROOT}/workflows/{wf.id}/cancel").status_code == 400  # CSRF
    resp = client.post(f"{ROOT}/workflows/{wf.id}/cancel", data={"csrf_token": csrf})
    assert resp.status_code == 303
    shown = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Cancelled workflow" in shown and "data-workflow-state>cancelled<" in shown
    assert r.llen("asynq:{parked}:pending") == 0
    audit = client.get(f"{ROOT}/audit").get_data(as_text=True)
    assert "workflows: cancel" in audit


def test_read_only_hides_and_refuses_cancel(redis_url, producer):
    wf = producer.enqueue_workflow(chain(Task("ok", queue="parked")))
    ro = create_app(make_config(redis_url, read_only=True))
    c = ro.test_client()
    assert "Cancel workflow" not in c.get(f"{ROOT}/workflows/{wf.id}").get_data(as_text=True)
    assert c.post(f"{ROOT}/workflows/{wf.id}/cancel").status_code == 403
    ro.extensions["pyasynq"].close()

"""Settings (theme, time zone, refresh) are personal: kept in the browser, applied by static JS."""

from __future__ import annotations

import re

from tests.console.conftest import ROOT


def test_settings_page_controls(client):
    html = client.get(f"{ROOT}/settings").get_data(as_text=True)
    assert 'href="/monitoring/settings" aria-current="page"' in html
    for pref in ("theme", "tz", "poll"):
        assert f'data-pref="{pref}"' in html
    assert '<option value="dark">' in html and '<option value="local">' in html
    assert "Server default (every 5 s)" in html


def test_refresh_choice_hidden_when_polling_is_off(redis_url):
    from pyasynq.console import create_app
    from tests.console.conftest import make_config

    app = create_app(make_config(redis_url, poll_interval=0, record_throughput=False))
    html = app.test_client().get(f"{ROOT}/settings").get_data(as_text=True)
    assert 'data-pref="poll"' not in html and "Live refresh is turned off" in html


def test_every_page_loads_the_preferences_without_inline_script(client):
    html = client.get(f"{ROOT}/").get_data(as_text=True)
    head = html.split("</head>")[0]
    # theme.js runs before the stylesheet and is not deferred, so a dark choice never flashes
    assert re.search(
        r'<script src="/monitoring/static/js/theme.js"></script>\s*<link rel="stylesheet"', head
    )
    assert '<script src="/monitoring/static/js/prefs.js" defer></script>' in head
    assert "<span data-tz-label>UTC</span>" in html
    for script in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        assert "src=" in script[0] or 'type="application/json"' in script[0], script
    for name in ("theme.js", "prefs.js", "throughput.js"):
        assert client.get(f"{ROOT}/static/js/{name}").status_code == 200


def test_dark_theme_css_follows_the_attribute(client):
    css = client.get(f"{ROOT}/static/css/console.css").get_data(as_text=True)
    assert ':root[data-theme="dark"]' in css and ':root[data-theme="light"]' in css

"""WSGI entry point for running the console on its own: ``gunicorn 'pyasynq.console.wsgi:app'``.

Configuration comes from the environment (see ``ConsoleConfig.from_env``); the console then
answers under ``CONSOLE_ROOT_PATH`` (``/monitoring`` by default).
"""

from __future__ import annotations

from pyasynq.console import create_app
from pyasynq.console.config import ConsoleConfig

app = create_app(ConsoleConfig.from_env())

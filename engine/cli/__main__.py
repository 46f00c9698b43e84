"""``python -m pyasynq.cli`` runs the ``pyasynq`` command."""

from pyasynq.cli import main

main()

"""``python -m engine.cli`` runs the ``pyasynq`` command."""

from engine.cli import main

main()

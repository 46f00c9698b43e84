"""Entry point of one supervised worker process: ``python -m pyasynq.cli._worker_process ARGS``.

The supervisor (``pyasynq.supervisor``) starts children by this module's name, so it needs no
import of the CLI (which imports the supervisor): no import cycle. ARGS are ``pyasynq worker``'s.
"""

from __future__ import annotations

import sys

from pyasynq.cli.worker import command


def main(argv: list[str]) -> None:
    command.main(args=argv, prog_name="pyasynq worker", standalone_mode=True)


if __name__ == "__main__":
    main(sys.argv[1:])

"""``pyasynq console-hash-password``: make the hash a console user's entry needs.

The console never stores a password, only werkzeug's salted hash of it (scrypt by default), in
``CONSOLE_USERS="alice:operator:<hash>,bob:viewer:<hash>"``.
"""

from __future__ import annotations

import click

from pyasynq.cli._common import require_console


@click.command("console-hash-password")
@click.option(
    "--user", "user", default=None, help="Print a whole CONSOLE_USERS entry for this user."
)
@click.option(
    "--role", type=click.Choice(["viewer", "operator"]), default="viewer", show_default=True
)
@click.password_option("--password", prompt="Password", help="Read from a prompt when not given.")
def command(user: str | None, role: str, password: str) -> None:
    """Print the password hash (or NAME:ROLE:HASH with --user) for the console's users."""
    if not password:
        raise click.BadParameter("the password must not be empty", param_hint="--password")
    if user is not None and (not user or any(c in user for c in ":,")):
        raise click.BadParameter(
            "the user name must be non-empty without ':' or ','", param_hint="--user"
        )
    require_console()
    from werkzeug.security import generate_password_hash

    hashed = generate_password_hash(password)
    click.echo(f"{user}:{role}:{hashed}" if user else hashed)

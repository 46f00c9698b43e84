# Sourced by ./demo and ./run-tests: picks the Python to install into and run with ($PY).
# The active virtualenv if any; else the current python3 when pip may install into it;
# else (Debian's externally managed Python) a project venv in .venv.
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "pyasynq needs Python 3.11 or newer (found: $("$PY" --version 2>&1))" >&2
  exit 1
fi
if [ -z "${VIRTUAL_ENV:-}" ]; then
  managed=$("$PY" -c 'import sysconfig, os; print(os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))')
  if [ "$managed" = "True" ] || ! "$PY" -m pip --version >/dev/null 2>&1; then
    if [ ! -x .venv/bin/python ]; then
      echo "creating a virtual environment in .venv" >&2
      "$PY" -m venv .venv || {
        echo "cannot create a virtualenv: install python3-venv (Debian/Ubuntu) or activate one" >&2
        exit 1
      }
    fi
    PY=.venv/bin/python
  fi
fi

# Sourced by ./demo and ./run-tests: sets $PY to the checkout's own virtual environment
# (.venv, made on first use), so nothing is ever installed into the user's global Python.
# PYTHON picks the interpreter that creates it (default: python3, which must be 3.11+).
BASE_PY=${PYTHON:-python3}
if ! "$BASE_PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "pyasynq needs Python 3.11 or newer (found: $("$BASE_PY" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "creating the project's virtual environment in .venv" >&2
  rm -rf .venv
  "$BASE_PY" -m venv .venv || {
    echo "cannot create a virtual environment: install python3-venv (Debian/Ubuntu)" >&2
    exit 1
  }
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
fi
PY=.venv/bin/python

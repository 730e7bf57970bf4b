# Sourced by dist_run.sh and slurm_run.sh: the Python that runs our tools.
# $PYTHON if set, else the repository's .venv (which `make` creates), else
# the first `python` on PATH.
if [ -z "${PYTHON:-}" ]; then
    _VENV_PYTHON="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.venv/bin/python"
    if [ -x "$_VENV_PYTHON" ]; then
        PYTHON=$_VENV_PYTHON
    else
        PYTHON=python
    fi
fi

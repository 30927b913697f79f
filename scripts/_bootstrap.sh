# Shared by scripts/example and scripts/test: make .venv and install the project into it from
# the lock (requirements/dev.lock, exact versions with hashes), so that a new release of a
# dependency cannot change what CI runs. Re-installs only when the lock or pyproject.toml changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
python="${PYTHON:-python3}"
# The lock is resolved for Python 3.11 and later (pyproject.toml's requires-python).
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "leadcontract needs Python 3.11 or later; set PYTHON to one (PYTHON=python3.11 $0)" >&2
  exit 2
fi
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
stamp="$venv/.leadcontract-installed"
want="$(cat "$root/pyproject.toml" "$root/requirements/"*.lock | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  pip=("$venv/bin/python" -m pip --disable-pip-version-check)
  # The build tools first, then everything with builds using exactly those (nothing unpinned
  # is fetched to build the one source-only package).
  "${pip[@]}" install --quiet --require-hashes --no-deps -r "$root/requirements/build.lock"
  "${pip[@]}" install --quiet --require-hashes --no-deps --no-build-isolation \
    -r "$root/requirements/dev.lock"
  "${pip[@]}" install --quiet --no-deps --no-build-isolation -e "$root"
  echo "$want" > "$stamp"
fi
export PATH="$venv/bin:$PATH"
cd "$root"

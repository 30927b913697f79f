# Shared by scripts/example and scripts/test: make .venv and install the project into it from
# the lock (requirements/dev.lock, exact versions with hashes), so that a new release of a
# dependency cannot change what CI runs. Re-installs only when the lock or pyproject.toml changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
stamp="$venv/.leadcontract-installed"
want="$(cat "$root/pyproject.toml" "$root/requirements/dev.lock" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  pip=("$venv/bin/python" -m pip --disable-pip-version-check)
  "${pip[@]}" install --quiet --require-hashes --no-deps -r "$root/requirements/dev.lock"
  "${pip[@]}" install --quiet --no-deps --no-build-isolation -e "$root"
  echo "$want" > "$stamp"
fi
export PATH="$venv/bin:$PATH"
cd "$root"

# Sourced by scripts/test and scripts/example: install the Debian packages listed in
# requirements/system.txt that are not installed yet (apt-get, as root, as CI runs). Elsewhere
# it names what is missing. A caller that needs only some of them names those first
# (`_system_packages="graphviz ..."`): the example job needs no browser and no JRE.
set -euo pipefail
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_wanted=${_system_packages:-$(sed -e 's/#.*//' "$_root/requirements/system.txt" | tr -s ' \t' '\n' | sed '/^$/d')}
_missing=()
if ! command -v dpkg-query >/dev/null; then
  echo "not a Debian system: make sure these are installed: $(echo $_wanted)" >&2
  _wanted=""
fi
for _package in $_wanted; do
  dpkg-query -W -f='${Status}' "$_package" 2>/dev/null | grep -q "install ok installed" \
    || _missing+=("$_package")
done
if [ ${#_missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing system packages: ${_missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${_missing[@]}" >/dev/null
  else
    echo "scripts/$(basename "$0") needs these Debian packages: ${_missing[*]} (apt-get install them)" >&2
    exit 2
  fi
fi

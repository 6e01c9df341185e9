#!/usr/bin/env bash
# Installs what wpfleet needs on Debian 12, only what is missing, and is quick when
# nothing is. Usage: scripts/install-deps.sh [runtime|test]
#   runtime: Debian packages of the local stack + a virtualenv with wpfleet
#   test:    the same, plus the test and lint dependencies (and chromium)
# The machine's own nginx/php-fpm/MariaDB services are never started: wpfleet runs its
# own processes on its own ports.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-runtime}"
VENV="${VENV:-.venv}"

# wordpress only recommends its theme: without one every site is a blank page.
APT_PACKAGES=(mariadb-server mariadb-client php-fpm php-mysql php-cli php-curl php-xml
  php-mbstring php-zip nginx wordpress wordpress-theme-twentytwentythree curl openssl
  ca-certificates python3-venv)
# The tests also look at the demo's pages in a real browser (Playwright drives it; the
# node in its wheel needs libatomic1) and run the Lambda@Edge handler under node.
if [ "$what" = "test" ]; then APT_PACKAGES+=(chromium libatomic1 nodejs); fi
# Keep apt from pulling in apache2 / mod_php to satisfy `wordpress`'s dependencies.
APT_EXCLUDE=(apache2- apache2-bin- libapache2-mod-php- libapache2-mod-php8.2-)

# shellcheck: actionlint runs it over the generated workflows' scripts (tests/ci)
[ "$what" = "test" ] && APT_PACKAGES+=(shellcheck)
# crontab: `wpfleet cost report --schedule --install` on local is tested with the real one
[ "$what" = "test" ] && APT_PACKAGES+=(cron)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "wpfleet: missing Debian packages: ${missing[*]}" >&2
    echo "  run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "==> installing Debian packages: ${missing[*]}"
  # Refuse service starts during the install (restored afterwards).
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    guard=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" "${APT_EXCLUDE[@]}" >/dev/null
  [ -n "$guard" ] && rm -f /usr/sbin/policy-rc.d
fi

PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV"
  # System site packages: reuse what the machine already has (boto3, pydantic...).
  "$PY" -m venv --system-site-packages "$VENV"
fi
stamp="$VENV/.wpfleet-$what"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  extra=""
  [ "$what" = "test" ] && extra="[test]"
  echo "==> installing wpfleet$extra into $VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -e ".$extra"
  touch "$stamp"
fi

# checkov (tests/iac) pins its own boto3 and friends: it gets a virtualenv of its own so
# that it never changes the versions wpfleet runs and is tested with.
CHECKOV_VENV="${CHECKOV_VENV:-.venv-checkov}"
CHECKOV_VERSION="3.3.30"
if [ "$what" = "test" ] && ! "$CHECKOV_VENV/bin/checkov" --version 2>/dev/null | grep -qx "$CHECKOV_VERSION"; then
  echo "==> installing checkov $CHECKOV_VERSION into $CHECKOV_VENV"
  "$PY" -m venv "$CHECKOV_VENV"
  "$CHECKOV_VENV/bin/pip" install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

#!/usr/bin/env bash
# Proves the README's promise: on a FRESH Debian 12 machine, from a fresh clone, as root,
# `make demo` and then `make test` pass. A green CI on a machine where packages were once
# installed by hand cannot show that; this script can.
#
# It builds a minimal Debian 12 (bookworm, debootstrap's minbase) root file system from
# the mirror this machine's own apt sources name (no host name is written anywhere),
# copies in a fresh `git clone` of this repository at REF, installs only what the README
# says a user needs before its commands (git, make), and runs, as root in a chroot:
#
#   make deps       with the network (installs what `make demo` needs)
#   make demo       in its own network namespace (only loopback: ports never collide with
#                   the host's) and its own PID namespace (its daemons end with it); then
#                   each dev tenant's front page must have its title and a theme
#   make test-deps  with the network
#   make test       with CI=true, in its own PID namespace (and the network: see below)
#
# `make demo` and `make test` run their install step again themselves; it must find
# nothing missing, because nothing can be downloaded in an isolated network namespace.
# Each step is reported PASS/FAIL with its time; logs are kept in the log directory.
#
# Usage (as root): scripts/fresh-debian-check.sh [--ref REF] [--keep] [--skip-test]
#   --ref REF     the commit to clone (default HEAD of this checkout; uncommitted
#                 changes are NOT included: a fresh clone has only what is committed)
#   --keep        keep the root file system afterwards (default: remove it)
#   --skip-test   stop after `make demo`
# Environment: WPFLEET_FRESH_CACHE (default /var/cache/wpfleet-fresh: the bootstrapped
#   root, so a re-run skips debootstrap), WPFLEET_FRESH_DIR (default
#   /var/tmp/wpfleet-fresh: the root file system and the logs).
set -euo pipefail

REPO="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
REF=HEAD
KEEP=""
SKIP_TEST=""
while [ $# -gt 0 ]; do
  case "$1" in
    --ref) REF="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --skip-test) SKIP_TEST=1; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "fresh-debian-check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" -ne 0 ]; then
  echo "fresh-debian-check: must run as root (it uses debootstrap, chroot and unshare)" >&2
  exit 2
fi
SUITE=bookworm
ARCH="$(dpkg --print-architecture)"
CACHE="${WPFLEET_FRESH_CACHE:-/var/cache/wpfleet-fresh}"
WORK="${WPFLEET_FRESH_DIR:-/var/tmp/wpfleet-fresh}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
ROOT="$WORK/root-$STAMP"
LOGS="$WORK/logs-$STAMP"
CACHED_ROOT="$CACHE/$SUITE-minbase-$ARCH-root.tar.gz"
SHA="$(git -C "$REPO" rev-parse --verify "$REF^{commit}")"
mkdir -p "$CACHE" "$LOGS"
RESULTS=()
FAILED=0

log() { printf '==> %s\n' "$*"; }

# --- the mirror, read from this machine's apt sources -------------------------------
# Prints "URI SUITE COMPONENTS" for every enabled Debian bookworm source (deb822 .sources
# files and one-line .list files alike).
apt_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
      uri = $i; suite = $(i + 1); comps = ""; for (j = i + 2; j <= NF; j++) comps = comps " " $j
      if (suite ~ /^bookworm/) print uri, suite, comps }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'function flush() { if (types ~ /(^| )deb( |$)/ && enabled != "no")
           for (u in uris) for (s in suites) if (suites[s] ~ /^bookworm/) print uris[u], suites[s], comps
         delete uris; delete suites; types = ""; comps = ""; enabled = "" }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      { key = tolower($1); sub(/:$/, "", key); $1 = "" ; val = substr($0, 2) }
      key == "types" { types = val }
      key == "uris" { n = split(val, a, " "); for (k = 1; k <= n; k++) uris[k] = a[k] }
      key == "suites" { n = split(val, a, " "); for (k = 1; k <= n; k++) suites[k] = a[k] }
      key == "components" { comps = val }
      key == "enabled" { enabled = tolower(val) }
      END { flush() }' "$f"
  done
}
SOURCES="$(apt_sources | sort -u)"
MIRROR="$(awk '$2 == "bookworm" { print $1; exit }' <<<"$SOURCES")"
if [ -z "$MIRROR" ]; then
  echo "fresh-debian-check: no 'bookworm' source in /etc/apt/sources.list{,.d/}: this" >&2
  echo "  script takes its Debian mirror from there; add one (see sources.list(5))" >&2
  exit 2
fi

# --- cleanup: whatever happens, nothing of the fresh machine is left running or mounted
cleanup() {
  set +e +o pipefail  # a cleanup step that finds nothing must not stop the next one
  local pid root
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    root="$(readlink "/proc/$pid/root" 2>/dev/null || true)"
    case "$root" in "$ROOT"|"$ROOT"/*) kill -9 "$pid" 2>/dev/null || true ;; esac
  done
  # Mounts are made in private mount namespaces and vanish with them; this is a net.
  if [ -d "$ROOT" ]; then
    findmnt -rn -o TARGET | grep -F "$ROOT" | sort -r | while read -r m; do
      umount -l "$m" 2>/dev/null || true
    done
    if [ -z "$KEEP" ]; then rm -rf --one-file-system "$ROOT"; fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run_step NAME COMMAND...: runs, times and records one step; its output goes to a log.
run_step() {
  local name="$1"; shift
  local start end rc=0
  log "$name (log: $LOGS/$name.log)"
  start=$(date +%s)
  "$@" >"$LOGS/$name.log" 2>&1 || rc=$?
  end=$(date +%s)
  if [ "$rc" -eq 0 ]; then
    RESULTS+=("$(printf 'PASS  %-28s %5ss' "$name" $((end - start)))")
  else
    RESULTS+=("$(printf 'FAIL  %-28s %5ss  (exit %s; tail of the log below)' "$name" $((end - start)) "$rc")")
    FAILED=1
    tail -n 40 "$LOGS/$name.log" | sed 's/^/    | /'
  fi
  printf '    %s\n' "${RESULTS[-1]}"
  return "$rc"
}

# Variables passed into the chroot: how this machine reaches the registries (proxies,
# the CA bundle pip must use) and nothing else of the host's environment.
PASS_ENV=(http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY PIP_INDEX_URL
  PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST PIP_CERT PIP_DEFAULT_TIMEOUT REQUESTS_CA_BUNDLE
  SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE)

# in_root NET(net|isolated) COMMAND: runs COMMAND with bash in the chroot, as root, in
# private mount and PID namespaces (every process it starts ends with it), and with
# "isolated", in a network namespace with only loopback.
in_root() {
  local net="$1" cmd="$2" envs=() v
  for v in "${PASS_ENV[@]}"; do
    if [ -n "${!v:-}" ] && [[ "${!v}" != *file://* ]]; then envs+=("$v=${!v}"); fi
  done
  local flags=(--mount --propagation private --pid --fork)
  [ "$net" = isolated ] && flags+=(--net)
  unshare "${flags[@]}" -- /bin/bash -c '
    set -e
    R="$1"; net="$2"; cmd="$3"; shift 3
    mount -t proc proc "$R/proc"
    mount --rbind /dev "$R/dev"
    mount -t sysfs sysfs "$R/sys" 2>/dev/null || mount --rbind /sys "$R/sys"
    mount -t tmpfs -o mode=0755 tmpfs "$R/run"
    mkdir -p "$R/run/lock" && mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm" 2>/dev/null || true
    if [ "$net" = isolated ]; then ip link set lo up; fi
    exec chroot "$R" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@" \
      /bin/bash -c "cd /root/wpfleet 2>/dev/null || cd /root; $cmd"
  ' _ "$ROOT" "$net" "$cmd" "${envs[@]}"
}

bootstrap() {
  if [ -f "$CACHED_ROOT" ]; then
    log "using the cached root file system $CACHED_ROOT"
    mkdir -p "$ROOT" && tar -xzpf "$CACHED_ROOT" -C "$ROOT"
    return
  fi
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
             apt-get install -y -qq --no-install-recommends debootstrap; }
  fi
  log "debootstrap --variant=minbase $SUITE from the mirror in this machine's apt sources"
  # In a private mount namespace: debootstrap's own /proc and /sys mounts cannot outlive it.
  unshare --mount --propagation private -- debootstrap --variant=minbase --arch="$ARCH" \
    "$SUITE" "$ROOT" "$MIRROR"
  tar -czpf "$CACHED_ROOT.tmp" -C "$ROOT" . && mv "$CACHED_ROOT.tmp" "$CACHED_ROOT"
}

# The fresh machine's setup, as its installer would leave it: the same apt sources and
# apt network settings as this machine, its resolver, its extra CA certificates (how
# HTTPS to the registries is trusted here), and the README's prerequisites (git, make).
prepare() {
  : >"$ROOT/etc/apt/sources.list"
  rm -f "$ROOT"/etc/apt/sources.list.d/*
  while read -r uri suite comps; do
    echo "deb $uri $suite $comps" >>"$ROOT/etc/apt/sources.list"
  done <<<"$SOURCES"
  local f
  for f in /etc/apt/apt.conf.d/*; do
    [ -f "$f" ] && grep -q 'Acquire::' "$f" && cp "$f" "$ROOT/etc/apt/apt.conf.d/"
  done
  cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOT/etc/hosts"
  mkdir -p "$ROOT/usr/local/share/ca-certificates"
  cp -r /usr/local/share/ca-certificates/. "$ROOT/usr/local/share/ca-certificates/" 2>/dev/null || true
  in_root net 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq &&
    apt-get install -y -qq --no-install-recommends git make >/dev/null &&
    if command -v update-ca-certificates >/dev/null; then update-ca-certificates; fi'
}

clone() {
  local tmp
  tmp="$(mktemp -d)"
  git clone -q --no-local --no-checkout "$REPO" "$tmp/wpfleet"
  git -C "$tmp/wpfleet" checkout -q "$SHA"
  mkdir -p "$ROOT/root"
  cp -a "$tmp/wpfleet" "$ROOT/root/wpfleet"
  rm -rf "$tmp"
  echo "cloned $SHA"
}

all_start=$(date +%s)
log "fresh Debian $SUITE check of $SHA; logs in $LOGS"
run_step bootstrap bootstrap || exit 1
run_step prepare prepare || exit 1
run_step clone clone || exit 1
run_step "make-deps" in_root net 'make deps' || true
# The demo's daemons end with make demo's namespaces: its pages are looked at in the same
# namespaces, right after it, and reported as a step of their own.
cat >"$ROOT/root/demo-pages.py" <<'PY'
"""Each dev tenant's front page has the tenant's display name as its <title>, and a theme."""
import html, re, sys, urllib.request
import yaml
fleet = yaml.safe_load(open(sys.argv[1]))
dev = fleet["environments"][0]
port = dev["local"]["http_port"]
bad = 0
for tenant in fleet["tenants"]:
    host = dev["domain"].format(tenant=tenant["id"])
    request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": f"{host}:{port}"})
    body = urllib.request.urlopen(request, timeout=30).read().decode("utf-8", "replace")
    found = re.search(r"<title>(.*?)</title>", body, re.S)
    title = html.unescape(found.group(1)).strip() if found else None
    theme = re.search(r"/wp-content/themes/([\w-]+)/", body)
    ok = title == tenant["name"] and theme is not None
    bad += not ok
    print(f"{'ok  ' if ok else 'BAD '} {host}: title {title!r}, theme {theme and theme.group(1)!r},"
          f" {len(body)} bytes")
sys.exit(1 if bad else 0)
PY
run_step "make-demo" in_root isolated 'make demo; rc=$?
  if [ $rc -eq 0 ]; then .venv/bin/python /root/demo-pages.py examples/local/fleet.yaml \
    >/root/demo-pages.log 2>&1; echo $? >/root/demo-pages.rc; fi; exit $rc' || true
if [ -f "$ROOT/root/demo-pages.rc" ]; then
  run_step "demo-front-pages" bash -c 'cat "$1/root/demo-pages.log"; exit "$(cat "$1/root/demo-pages.rc")"' _ "$ROOT" || true
fi
if [ -z "$SKIP_TEST" ]; then
  run_step "make-test-deps" in_root net 'make test-deps' || true
  # With the network: the suite picks free ports (no collision with the host's), and a
  # test may install from the registries as a developer's machine would (the non-root
  # test builds a venv of Debian's python3).
  run_step "make-test" in_root net 'CI=true make test' || true
fi
echo
echo "fresh Debian $SUITE check of $SHA ($(( $(date +%s) - all_start ))s in all):"
printf '  %s\n' "${RESULTS[@]}"
if [ "$FAILED" -ne 0 ]; then echo "RESULT: FAIL (logs: $LOGS)"; exit 1; fi
echo "RESULT: PASS (logs: $LOGS)"

#!/usr/bin/env bash
# Build Automattic's go-search-replace 0.0.7 for benchmarks/searchreplace.py, which runs
# it beside wpfleet when GO_SEARCH_REPLACE_BIN names the binary. npm has no 0.0.7 that
# works offline (later packages download the binary at run time), so it is built from
# its source: Debian 12's Go (1.19) and git, installed here if missing (as root). Its
# go.mod asks for Go 1.23.2, a version 1.19 cannot parse; it has no dependencies, so
# the line is lowered and the build stays offline (GOPROXY=off).
#
#   benchmarks/build-go-search-replace.sh [DEST] [SOURCE]
#   GO_SEARCH_REPLACE_BIN=benchmarks/.work/go-search-replace-0.0.7 python -m benchmarks.searchreplace
#
# DEST defaults to benchmarks/.work/go-search-replace-0.0.7; SOURCE to the GitHub
# repository (a local clone works too).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-benchmarks/.work/go-search-replace-0.0.7}
source=${2:-https://github.com/Automattic/go-search-replace}
if ! command -v go >/dev/null || ! command -v git >/dev/null; then
    apt-get install -y --no-install-recommends golang-go git ca-certificates
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone --quiet "$source" "$work/src"
git -C "$work/src" -c advice.detachedHead=false checkout --quiet 0.0.7
sed -i 's/^go 1\.23\.2$/go 1.19/' "$work/src/go.mod"
mkdir -p "$(dirname "$dest")"
out=$(realpath "$dest")
(cd "$work/src" && GOPROXY=off GOFLAGS=-mod=mod HOME="$work" go build -o "$out" .)
"$out" --version 2>/dev/null || true
echo "built $dest"

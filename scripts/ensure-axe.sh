#!/usr/bin/env bash
# The browser tests' accessibility checks (tests/axe.py) inject axe-core into each page from
# scripts/axe/node_modules (git-ignored), installed here by npm from the pinned version and integrity
# in scripts/axe/package-lock.json: never fetched from a CDN while a test runs.
set -euo pipefail
dir="$(cd "$(dirname "$0")/axe" && pwd)"
want="$(sed -n 's/^ *"axe-core": "\(.*\)"/\1/p' "$dir/package.json")"
have="$(sed -n 's/^ *"version": "\(.*\)",*/\1/p' "$dir/node_modules/axe-core/package.json" 2>/dev/null | head -1 || true)"
if [ "$have" = "$want" ] && [ -f "$dir/node_modules/axe-core/axe.min.js" ]; then exit 0; fi
if ! command -v npm >/dev/null; then
  echo "npm is missing: the accessibility checks will be skipped (install Node.js and npm)" >&2
  exit 0
fi
echo "installing axe-core $want for the accessibility checks..."
if ! npm ci --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null; then
  echo "npm could not install axe-core (is the npm registry reachable?): the browser tests will fail" >&2
  exit 1
fi

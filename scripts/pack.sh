#!/usr/bin/env bash
# Builds and packs every publishable @lockstep/* package into dist-packages/ (or $1), the
# tarballs `npm install` takes — what the adoption e2e installs into a fresh Nest app. Each holds
# its build (JavaScript, .d.ts, source maps), its own sources (for the maps) and its README.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-dist-packages}"
mkdir -p "$out"
# A clean build: tsc -b never deletes the output of a source file that was removed or moved.
rm -rf libs/*/dist dist
npm run build --silent
for pkg in core outbox relay consumer testing cli; do
  npm pack --workspace "@lockstep/$pkg" --pack-destination "$out" --silent >/dev/null
done
ls -l "$out"/lockstep-*.tgz | awk '{ printf "%8.1f KiB  %s\n", $5 / 1024, $9 }'

#!/usr/bin/env bash
# The main job (README): from nothing, install, start MariaDB + Kafka (or use
# LOCKSTEP_MYSQL_URL / LOCKSTEP_KAFKA_BROKERS), then run the end-to-end demo.
# Arguments go to the demo, e.g. `npm run demo -- --orders 500 --no-chaos`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d node_modules ]] || ! npm ls --depth=0 >/dev/null 2>&1; then
  npm ci --no-audit --no-fund
fi
bash scripts/infra/lockstep-infra.sh up
npm run build --silent
exec node dist/scripts/demo/run-demo.js "$@"

#!/usr/bin/env bash
# npm run bench [-- --quick] [-- --systems lockstep,debezium,polling] [-- --runs N] [-- --no-live] [-- --keep]
# Needs the private MariaDB + Kafka (started here if down). Full run < 20 min; --quick for CI.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d node_modules ]] || ! npm ls --depth=0 >/dev/null 2>&1; then
  npm ci --no-audit --no-fund
fi
bash scripts/infra/lockstep-infra.sh up
npm run build --silent
exec node --conditions=lockstep-source --import @swc-node/register/esm-register bench/run.ts "$@"

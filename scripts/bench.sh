#!/usr/bin/env bash
# npm run bench [-- --quick] [-- --systems lockstep,debezium,polling] [-- --runs N] [-- --no-live] [-- --keep]
# Needs the private MariaDB + Kafka (started here if down). Full run < 20 min; --quick for CI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/infra/lockstep-infra.sh status >/dev/null 2>&1 || bash scripts/infra/lockstep-infra.sh up
exec node --import @swc-node/register/esm-register bench/run.ts "$@"

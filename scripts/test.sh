#!/usr/bin/env bash
# The one test command (README, .ci/run): installs dependencies, starts the private MariaDB
# and Kafka if they are not running (or uses LOCKSTEP_MYSQL_URL / LOCKSTEP_KAFKA_BROKERS),
# type-checks, and runs every test. Extra arguments go to Vitest (e.g. a file path).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -d node_modules ]] || ! npm ls --depth=0 >/dev/null 2>&1; then
  npm ci --no-audit --no-fund
fi

bash scripts/infra/lockstep-infra.sh up
if [[ "${CI:-}" == "true" ]]; then
  # CI leaves nothing running behind it: neither the shared servers nor the cluster tests'
  # three-node Kafka that test/global-setup.ts starts in .lockstep/cluster. Locally they stay
  # up for fast re-runs (`npm run infra:down` stops the shared ones).
  trap 'bash scripts/infra/lockstep-infra.sh down || true; LOCKSTEP_HOME="$PWD/.lockstep/cluster" bash scripts/infra/lockstep-infra.sh down kafka || true' EXIT
fi

echo "== lint"; npm run lint
echo "== type-check"
npx tsc -p tsconfig.json --noEmit
echo "== build (the packages, the CLI and the demo run as built JavaScript)"
npm run build --silent
echo "== tests"
KAFKAJS_NO_PARTITIONER_WARNING=1 npx vitest run "$@"

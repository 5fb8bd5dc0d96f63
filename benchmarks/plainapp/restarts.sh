#!/usr/bin/env bash
# Runs RestartApp.java, a plain application outside the project, as a new user would: against a real PostgreSQL
# started by hand (common.sh), with only the published jars on its class path, n fast restarts (pg_ctl -m fast) under
# ~100 borrows/s per pool kind (stock, install(HikariDataSource), install(HikariConfig), LifelineDataSource). Prints
# one JSON object. Stops the server it started, by its PID, on exit.
#
# Usage, from anywhere:  benchmarks/plainapp/restarts.sh [n]   (default 5)
# Environment: JAVA (default: java on the PATH), PORT, SKIP_BUILD=1 (use the jars in target/).
set -euo pipefail
cd "$(dirname "$0")/../.."
. benchmarks/plainapp/common.sh
trap stop_postgres EXIT
start_postgres
url="jdbc:postgresql://127.0.0.1:$port/postgres"
echo "uptime before: $(uptime)" >&2
"$java" --enable-native-access=ALL-UNNAMED -Djna.tmpdir="$work/jna" ${JAVA_OPTS:-} -cp "$lifeline_jars:$driver_jars:$jna_jar:$log_jars" \
  "$root/benchmarks/plainapp/RestartApp.java" "$url" "$(restart_postgres_command)" "${1:-5}" 2> "$work/restarts.err"
echo "uptime after: $(uptime)" >&2

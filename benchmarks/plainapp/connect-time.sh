#!/usr/bin/env bash
# Runs ConnectTimeApp.java, a plain application outside the project, against a real PostgreSQL started by hand from
# the embedded binaries the testkit uses (io.zonky.test.postgres), with only the published jars on its class path:
# Lifeline's core and postgres jars (built here with `package`, never installed), pgjdbc, HikariCP, JNA and SLF4J from the local
# Maven repository. Stops the server it started, by its PID, on exit.
#
# Usage, from anywhere:  benchmarks/plainapp/connect-time.sh [key=value ...]   (passed to ConnectTimeApp)
# Environment: JAVA (default: java on the PATH), PORT (default: a random port), SKIP_BUILD=1 (use the jars in target/).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

. benchmarks/plainapp/common.sh
trap stop_postgres EXIT
start_postgres
cp="$lifeline_jars:$driver_jars:$jna_jar:$log_jars"

echo "uptime before: $(uptime)" >&2
"$java" --enable-native-access=ALL-UNNAMED -Djna.tmpdir="$work/jna" -cp "$cp" \
  "$root/benchmarks/plainapp/ConnectTimeApp.java" "jdbc:postgresql://127.0.0.1:$port/postgres" "$@"
echo "uptime after: $(uptime)" >&2

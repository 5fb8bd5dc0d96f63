package io.github.lifeline.it.container;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/**
 * The image a fault-test container runs: an official database image (or a local substitute) plus {@code iptables}
 * and {@link #CTL}, a small script that starts, stops, kills and blackholes the server inside the container.
 *
 * <p>Built once per base image and JVM with Testcontainers' {@link ImageFromDockerfile}, and kept under a tag that
 * hashes its inputs, so later runs hit Docker's layer cache. Installing iptables needs the package repositories of
 * the base image at build time (apt for {@code postgres:17}, microdnf for {@code mysql:8.4}); a base image that
 * already has {@code iptables} needs no network.
 *
 * <p>The script's entry point {@code run} keeps PID 1 out of the server's hands: the container runs with
 * {@code --init}, so PID 1 is {@code docker-init}, which reaps every orphan; the server is started through the
 * image's own {@code docker-entrypoint.sh} (first-start initialization, then {@code gosu} and {@code exec}, so the
 * pid it returns is the server's) as an orphan, and the container's main process is a {@code sleep}. The server can
 * therefore stop, crash and start again while the container, its address and its port mapping stay.
 */
final class FaultImage {

  /** Path of the control script in the image. */
  static final String CTL = "/usr/local/bin/lifeline-ctl";

  private static final String INSTALL_IPTABLES = String.join(" ",
      "command -v iptables >/dev/null 2>&1 ||",
      "if command -v apt-get >/dev/null 2>&1; then",
      "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iptables",
      "&& rm -rf /var/lib/apt/lists/*;",
      "elif command -v microdnf >/dev/null 2>&1; then microdnf install -y iptables-nft && microdnf clean all;",
      "elif command -v dnf >/dev/null 2>&1; then dnf install -y iptables-nft && dnf clean all;",
      "else apk add --no-cache iptables; fi");

  private static final String DOCKERFILE = String.join("\n",
      "FROM %s",
      "USER root",
      "RUN " + INSTALL_IPTABLES,
      "COPY lifeline-ctl " + CTL,
      "ENTRYPOINT [\"" + CTL + "\", \"run\"]",
      "");

  /**
   * The control script; bash, which both official images have. Every subcommand exits non-zero with a message on
   * stderr when it fails.
   */
  private static final String SCRIPT = """
      #!/bin/bash
      # lifeline-ctl: runs and faults the database server of a Lifeline fault-test container.
      #   run CMD...      entry point: remember CMD, start it, then idle (PID 1 must be docker-init)
      #   start           start CMD through docker-entrypoint.sh unless it runs; print the server's pid
      #   pid             print the pid of the last server started
      #   alive           exit 0 if that server is alive
      #   stop SIGNAL     send SIGNAL to the server and wait until none of its processes is left
      #   blackhole PORT  DROP every TCP packet to or from PORT, except on the loopback interface
      #   heal PORT       remove those rules
      set -u
      state=/run/lifeline
      mkdir -p "$state"

      alive() {
        local pid
        [ -s "$state/pid" ] && read -r pid < "$state/pid" && kill -0 "$pid" 2>/dev/null
      }

      start() {
        if ! alive; then
          local cmd
          mapfile -t cmd < "$state/cmd"
          # The subshell exits at once: the server is an orphan of docker-init, which reaps it when it dies. Its
          # output goes to the container log; no descriptor of this exec session stays open.
          ( docker-entrypoint.sh "${cmd[@]}" < /dev/null > /proc/1/fd/1 2> /proc/1/fd/2 &
            echo "$!" > "$state/pid" )
        fi
        cat "$state/pid"
      }

      # Every process of the server (the main one and, for PostgreSQL, its backends): same name as CMD.
      server_pids() {
        local name dir comm
        read -r name < "$state/cmd"
        name=${name##*/}
        for dir in /proc/[0-9]*; do
          { read -r comm < "$dir/comm"; } 2>/dev/null || continue
          if [ "$comm" = "$name" ]; then echo "${dir#/proc/}"; fi
        done
      }

      await_gone() {
        local i
        for ((i = 0; i < $1; i++)); do
          if [ -z "$(server_pids)" ]; then return 0; fi
          sleep 0.05
        done
        return 1
      }

      stop() {
        if alive; then kill -s "$1" "$(cat "$state/pid")"; fi
        await_gone 600 && return 0
        echo "lifeline-ctl: after 30 s of SIG$1, killing the processes left: $(server_pids | tr '\\n' ' ')" >&2
        local left
        mapfile -t left < <(server_pids)
        kill -s KILL "${left[@]}" 2>/dev/null
        await_gone 200 && return 0
        echo "lifeline-ctl: processes survive SIGKILL: $(server_pids | tr '\\n' ' ')" >&2
        return 1
      }

      # iptables (nft in both images); iptables-legacy where the host kernel has no nf_tables.
      ipt() {
        if [ -z "${ipt_cmd:-}" ]; then
          ipt_cmd=iptables
          iptables -w -n -L INPUT > /dev/null 2>&1 || ipt_cmd="iptables-legacy"
        fi
        "$ipt_cmd" -w "$@"
      }

      heal() {
        while ipt -D INPUT -p tcp --dport "$1" ! -i lo -j DROP 2>/dev/null; do :; done
        while ipt -D OUTPUT -p tcp --sport "$1" ! -o lo -j DROP 2>/dev/null; do :; done
      }

      blackhole() {
        heal "$1"
        ipt -I INPUT -p tcp --dport "$1" ! -i lo -j DROP && ipt -I OUTPUT -p tcp --sport "$1" ! -o lo -j DROP
      }

      case "${1:-}" in
        run) shift; printf '%s\\n' "$@" > "$state/cmd"; start > /dev/null; exec sleep infinity ;;
        start) start ;;
        pid) cat "$state/pid" ;;
        alive) alive ;;
        stop) stop "$2" ;;
        blackhole) blackhole "$2" ;;
        heal) heal "$2" ;;
        *) echo "usage: lifeline-ctl run|start|pid|alive|stop SIGNAL|blackhole PORT|heal PORT" >&2; exit 2 ;;
      esac
      """;

  private static final Map<String, String> BUILT = new ConcurrentHashMap<>();

  private FaultImage() {
  }

  /**
   * Returns the fault image derived from {@code base}, building it on first use in this JVM.
   *
   * @param base the image to derive from, e.g. {@code postgres:17}
   * @param compatibleWith the official image that the Testcontainers module expects, e.g. {@code postgres}
   * @return the name of the derived image, declared a substitute for {@code compatibleWith}
   */
  static DockerImageName derivedFrom(String base, String compatibleWith) {
    String name = BUILT.computeIfAbsent(base, FaultImage::build);
    return DockerImageName.parse(name).asCompatibleSubstituteFor(compatibleWith);
  }

  private static String build(String base) {
    String dockerfile = String.format(Locale.ROOT, DOCKERFILE, base);
    String repository = "lifeline-it/" + base.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-") + "-faults";
    String tag = repository + ":" + sha256(dockerfile + SCRIPT).substring(0, 12);
    return new ImageFromDockerfile(tag, false)
        .withFileFromString("Dockerfile", dockerfile)
        .withFileFromTransferable("lifeline-ctl", Transferable.of(SCRIPT, 0100755))
        .get();
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

package io.github.lifeline.testkit.fault;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this process can inject network faults: it runs as root (effective uid 0) and {@code nft list tables}
 * works. The environment is probed once per JVM.
 */
public final class FaultInjection {

  /** The common start of every reason why faults cannot be injected. */
  public static final String NEEDS = "fault injection needs root and nftables: ";

  private static final Logger LOG = LoggerFactory.getLogger(FaultInjection.class);

  /** The probe result for this JVM; the uid and the firewall tools do not change while it runs. */
  private static volatile Probe probe;

  private record Probe(int uid, String nftProblem) {
  }

  private FaultInjection() {
  }

  /**
   * Why faults cannot be injected here, for example
   * {@code "fault injection needs root and nftables: not root (uid 1000)"}; {@code null} when they can.
   */
  public static String unavailableReason() {
    Probe p = probe();
    return reason(p.uid(), p.nftProblem());
  }

  /** Whether faults can be injected here. */
  public static boolean isAvailable() {
    return unavailableReason() == null;
  }

  /**
   * The reason for given inputs, free of side effects.
   *
   * @param uid the effective uid of the process
   * @param nftProblem why {@code nft list tables} does not work, or {@code null} when it does
   * @return the reason, or {@code null} when faults can be injected
   */
  public static String reason(int uid, String nftProblem) {
    List<String> problems = new ArrayList<>();
    if (uid != 0) {
      problems.add("not root (uid " + uid + ")");
    }
    if (nftProblem != null) {
      problems.add(nftProblem);
    }
    return problems.isEmpty() ? null : NEEDS + String.join("; ", problems);
  }

  private static Probe probe() {
    Probe probed = probe;
    if (probed == null) {
      synchronized (FaultInjection.class) {
        probed = probe;
        if (probed == null) {
          probed = probeNow();
          probe = probed;
          LOG.info("fault injection environment: uid {}, nft {}", probed.uid(), probed.nftProblem() != null
              ? "not usable (" + probed.nftProblem() + ")" : probed.uid() == 0 ? "usable" : "installed");
        }
      }
    }
    return probed;
  }

  private static Probe probeNow() {
    int uid;
    try {
      uid = effectiveUid(Files.readString(Path.of("/proc/self/status"), StandardCharsets.US_ASCII));
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot read the uid from /proc/self/status", e);
      uid = -1;
    }
    String nftProblem;
    if (uid != 0) {
      // Not root: nft would only say "Operation not permitted"; just say whether it is installed.
      try {
        Nft.executable();
        nftProblem = null;
      } catch (IllegalStateException e) {
        nftProblem = e.getMessage();
      }
    } else {
      try {
        Nft.run(null, "list", "tables");
        nftProblem = null;
      } catch (RuntimeException e) {
        nftProblem = e.getMessage();
      }
    }
    return new Probe(uid, nftProblem);
  }

  /**
   * @param status the text of {@code /proc/self/status}
   * @return the effective uid: the second number of the {@code Uid:} line (real, effective, saved, filesystem)
   */
  public static int effectiveUid(String status) {
    for (String line : status.split("\n")) {
      if (line.startsWith("Uid:")) {
        String[] fields = line.substring("Uid:".length()).strip().split("\\s+");
        return Integer.parseInt(fields[1]);
      }
    }
    throw new IllegalArgumentException("no Uid: line in /proc/self/status");
  }
}

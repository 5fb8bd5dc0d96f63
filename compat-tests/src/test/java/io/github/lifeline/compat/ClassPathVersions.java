package io.github.lifeline.compat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Which HikariCP, pgjdbc and Connector/J the test JVM really runs with, against the versions its failsafe execution
 * names ({@code lifeline.compat.hikaricp}, {@code lifeline.compat.pgjdbc}, {@code lifeline.compat.connectorj}).
 *
 * <p>Each library is checked three ways, so that a misconfigured class path cannot pass: exactly one copy of a
 * marker class on the class path, the version in the manifest of the jar that class is loaded from, and, for the
 * drivers, the version the driver reports about itself at run time (read by reflection: the constants would be
 * inlined at compile time, against the build's version).
 */
final class ClassPathVersions {

  /** One library of the combination. */
  enum Library {
    HIKARICP("lifeline.compat.hikaricp", "com.zaxxer.hikari.HikariDataSource", null, null),
    PGJDBC("lifeline.compat.pgjdbc", "org.postgresql.Driver", "org.postgresql.util.DriverInfo", "DRIVER_VERSION"),
    CONNECTOR_J("lifeline.compat.connectorj", "com.mysql.cj.jdbc.Driver", "com.mysql.cj.Constants", "CJ_VERSION");

    final String property;
    final String marker;
    final String versionClass;
    final String versionField;

    Library(String property, String marker, String versionClass, String versionField) {
      this.property = property;
      this.marker = marker;
      this.versionClass = versionClass;
      this.versionField = versionField;
    }
  }

  /**
   * What the class path holds for one library.
   *
   * @param library the library
   * @param expected the version the execution names, or {@code null} when the property is missing
   * @param copies every class path location of the marker class
   * @param jar the jar the marker class was loaded from
   * @param manifestVersion {@code Implementation-Version}, or else {@code Bundle-Version}, of that jar
   * @param reportedVersion the version the library reports at run time, or {@code null} where it has no such API
   */
  record Found(Library library, String expected, List<URL> copies, Path jar, String manifestVersion,
      String reportedVersion) {

    /** Every reason this library does not match the execution's expectation; empty when it does. */
    List<String> problems() {
      List<String> p = new ArrayList<>();
      if (expected == null || expected.isBlank()) {
        p.add("system property " + library.property + " is not set: the failsafe execution must name the version "
            + "it puts on the class path");
        return p;
      }
      if (copies.size() != 1) {
        p.add(copies.size() + " copies of " + library.marker + " on the class path, expected exactly 1: " + copies);
      }
      if (!expected.equals(manifestVersion)) {
        p.add("the manifest of " + jar + " says " + manifestVersion + ", expected " + expected);
      }
      if (library.versionField != null && (reportedVersion == null || !reportedVersion.contains(expected))) {
        p.add(library.versionClass + "." + library.versionField + " is '" + reportedVersion + "', expected it to "
            + "contain " + expected);
      }
      return p;
    }

    @Override
    public String toString() {
      return String.format("%-11s expected %-8s manifest %-8s reported %-30s from %s", library, expected,
          manifestVersion, reportedVersion == null ? "-" : "'" + reportedVersion + "'", jar.getFileName());
    }
  }

  private ClassPathVersions() {
  }

  /** Looks up every library of the combination. */
  static List<Found> inspect() {
    List<Found> all = new ArrayList<>();
    for (Library l : Library.values()) {
      all.add(inspect(l));
    }
    return all;
  }

  static Found inspect(Library l) {
    ClassLoader cl = ClassPathVersions.class.getClassLoader();
    try {
      String resource = l.marker.replace('.', '/') + ".class";
      List<URL> copies = Collections.list(cl.getResources(resource));
      Class<?> marker = Class.forName(l.marker, false, cl);
      Path jar = Path.of(marker.getProtectionDomain().getCodeSource().getLocation().toURI());
      String manifestVersion = null;
      try (JarFile jf = new JarFile(jar.toFile())) {
        Manifest m = jf.getManifest();
        if (m != null) {
          Attributes a = m.getMainAttributes();
          manifestVersion = a.getValue(Attributes.Name.IMPLEMENTATION_VERSION);
          if (manifestVersion == null) {
            manifestVersion = a.getValue("Bundle-Version");
          }
        }
      }
      String reported = null;
      if (l.versionClass != null) {
        reported = String.valueOf(Class.forName(l.versionClass, true, cl).getField(l.versionField).get(null));
      }
      return new Found(l, System.getProperty(l.property), copies, jar, manifestVersion, reported);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (ReflectiveOperationException | URISyntaxException e) {
      throw new IllegalStateException("cannot tell which " + l + " is on the class path: " + e, e);
    }
  }
}

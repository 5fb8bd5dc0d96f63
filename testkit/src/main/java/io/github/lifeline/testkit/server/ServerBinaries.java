package io.github.lifeline.testkit.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Enumeration;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the servers live on disk, and one-time preparation of shared directories.
 *
 * <p>Everything goes under {@link #targetDir()}: {@code server-binaries/} (unpacked binaries and
 * initialized template data directories, made once per build), {@code servers/} (one directory per server, deleted
 * on close) and {@code server-logs/}. {@link #prepareOnce} is guarded by a JVM lock and a file lock, so that
 * concurrent test JVMs share one copy, and builds into a scratch directory that is renamed into place only when
 * complete: a directory that exists is always whole.
 */
final class ServerBinaries {

  private static final Logger LOG = LoggerFactory.getLogger(ServerBinaries.class);

  private static final Object JVM_LOCK = new Object();
  private static final Pattern JAR_VERSION = Pattern.compile("-(\\d+(?:\\.\\d+)+)\\.jar$");

  private ServerBinaries() {
  }

  /** Fills a fresh, empty directory. */
  @FunctionalInterface
  interface Preparation {
    void fill(Path emptyDir) throws IOException;
  }

  /** System property naming the directory the testkit works in; see {@link #targetDir()}. */
  static final String DIR_PROPERTY = "lifeline.testkit.dir";

  /**
   * The directory the testkit works in: the system property {@value #DIR_PROPERTY} (the build sets it to one
   * directory for all of its test JVMs, so that the binaries are unpacked once), else {@code target/testkit} under
   * the working directory.
   *
   * @return the directory (it may not exist yet)
   */
  static Path targetDir() {
    String dir = System.getProperty(DIR_PROPERTY);
    return (dir == null || dir.isBlank() ? Path.of("target", "testkit") : Path.of(dir)).toAbsolutePath().normalize();
  }

  /** @return the directory that holds one sub-directory per server */
  static Path serversDir() {
    return targetDir().resolve("servers");
  }

  /** @return the directory that holds the server logs */
  static Path logsDir() {
    return targetDir().resolve("server-logs");
  }

  /**
   * Returns {@code target/server-binaries/NAME}, filling it first if it does not exist yet.
   *
   * @param name directory name; should carry the version of what it holds
   * @param preparation fills the (scratch) directory
   */
  @SuppressWarnings("try") // the file lock is held for the try block, never referenced
  static Path prepareOnce(String name, Preparation preparation) {
    Path root = targetDir().resolve("server-binaries");
    Path dir = root.resolve(name);
    if (Files.isDirectory(dir)) {
      return dir;
    }
    synchronized (JVM_LOCK) {
      try {
        Files.createDirectories(root);
        try (FileChannel channel = FileChannel.open(root.resolve(".lock"),
            StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock held = channel.lock()) {
          if (Files.isDirectory(dir)) {
            return dir;
          }
          deleteLeftovers(root, name);
          Path scratch = Files.createTempDirectory(root, name + ".partial-");
          try {
            long start = System.nanoTime();
            preparation.fill(scratch);
            Files.move(scratch, dir, StandardCopyOption.ATOMIC_MOVE);
            LOG.info("prepared {} in {} ms", dir, (System.nanoTime() - start) / 1_000_000);
          } finally {
            deleteTree(scratch);
          }
          return dir;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot prepare " + dir, e);
      }
    }
  }

  /** Scratch directories of a run that died half-way; only called while holding the lock. */
  private static void deleteLeftovers(Path root, String name) throws IOException {
    try (DirectoryStream<Path> partial = Files.newDirectoryStream(root, name + ".partial-*")) {
      for (Path leftover : partial) {
        LOG.info("deleting unfinished {}", leftover);
        deleteTree(leftover);
      }
    }
  }

  /**
   * Finds a class-path resource that must come from a jar.
   *
   * @return the jar file that holds it
   */
  static Path jarOf(String resource) {
    URL url = ServerBinaries.class.getClassLoader().getResource(resource);
    if (url == null) {
      throw new IllegalStateException(resource + " is not on the test class path: is the binaries jar a "
          + "test dependency of this module?");
    }
    try {
      if (!(url.openConnection() instanceof JarURLConnection connection)) {
        throw new IllegalStateException(resource + " is not inside a jar: " + url);
      }
      return Path.of(connection.getJarFileURL().toURI());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + url, e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException("not a file URL: " + url, e);
    }
  }

  /** @return the version at the end of a jar file name, e.g. {@code 17.6.0} */
  static String versionOfJar(Path jar) {
    Matcher matcher = JAR_VERSION.matcher(jar.getFileName().toString());
    if (!matcher.find()) {
      throw new IllegalStateException("no version in the name of " + jar);
    }
    return matcher.group(1);
  }

  /** @return a property of a class-path properties file, e.g. a Maven {@code pom.properties} */
  static String classPathProperty(String resource, String key) {
    try (InputStream in = ServerBinaries.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is not on the test class path");
      }
      Properties properties = new Properties();
      properties.load(in);
      String value = properties.getProperty(key);
      if (value == null) {
        throw new IllegalStateException("no " + key + " in " + resource);
      }
      return value;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  /** Copies one jar entry to a file. */
  static void extractEntry(Path jar, String entryName, Path target) throws IOException {
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      ZipEntry entry = zip.getEntry(entryName);
      if (entry == null) {
        throw new NoSuchFileException(jar + "!/" + entryName);
      }
      try (InputStream in = zip.getInputStream(entry)) {
        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  /**
   * Extracts the jar entries under a prefix into a directory, without the prefix. Files under one of
   * {@code executableDirs} (relative, e.g. {@code bin/}) are made executable: zip entries carry no Unix mode.
   */
  static void extractTree(Path jar, String prefix, Path target, List<String> executableDirs) throws IOException {
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        ZipEntry entry = entries.nextElement();
        if (!entry.getName().startsWith(prefix) || entry.getName().length() == prefix.length()) {
          continue;
        }
        String relative = entry.getName().substring(prefix.length());
        Path file = target.resolve(relative).normalize();
        if (!file.startsWith(target)) {
          throw new IOException("entry escapes the target directory: " + entry.getName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(file);
          continue;
        }
        Files.createDirectories(file.getParent());
        try (InputStream in = zip.getInputStream(entry)) {
          Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        if (executableDirs.stream().anyMatch(relative::startsWith)) {
          Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
      }
    }
  }

  /** Copies a directory tree, keeping file modes (PostgreSQL insists on 0700 for its data directory). */
  static void copyTree(Path from, Path to) throws IOException {
    Files.walkFileTree(from, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        Files.copy(dir, to.resolve(from.relativize(dir).toString()), StandardCopyOption.COPY_ATTRIBUTES,
            LinkOption.NOFOLLOW_LINKS);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES,
            LinkOption.NOFOLLOW_LINKS);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /** Deletes a directory tree if it exists; never follows symbolic links. */
  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE;
        }
        throw e;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null && !(e instanceof NoSuchFileException)) {
          throw e;
        }
        Files.deleteIfExists(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /** Runs a preparation command with a generous bound; its output goes to {@code log}. */
  static void runPreparation(List<String> command, Path workDir, Path log) {
    Processes.run(command, workDir, log, Duration.ofMinutes(3));
  }
}

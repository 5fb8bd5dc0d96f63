package io.github.lifeline.drill.doctor;

import java.util.regex.Pattern;

/** Keeps secrets out of everything the doctor prints. */
final class Redaction {

  private static final Pattern SECRET_KEY = Pattern.compile("(?i).*(pass|secret|token|credential|private).*");
  /** {@code password=...} in a URL's query or a key=value list. */
  private static final Pattern QUERY_SECRET = Pattern.compile(
      "(?i)([?&;,]\\s*[a-z._-]*(?:pass|secret|token|credential|private)[a-z._-]*=)[^&;,]*");
  /** {@code //user:password@host} in a URL. */
  private static final Pattern USERINFO = Pattern.compile("(//[^/:@?]*):[^@/?]*@");

  private Redaction() {
  }

  /** Whether a property key names a secret. */
  static boolean isSecretKey(String key) {
    return SECRET_KEY.matcher(key).matches();
  }

  /** The URL with any password (in the query or the user info) replaced by {@code ***}. */
  static String url(String url) {
    if (url == null) {
      return null;
    }
    String out = USERINFO.matcher(url).replaceAll("$1:***@");
    return QUERY_SECRET.matcher(out).replaceAll("$1***");
  }

  /** A property value as it may be printed. */
  static String value(String key, String value) {
    return isSecretKey(key) ? "***" : value;
  }
}

package io.github.lifeline.springboot.autoconfigure;

import io.github.lifeline.LifelineProperty;
import java.util.Locale;

/** The Spring key of each core key: {@code lifeline.keepaliveIdle} is {@code lifeline.keepalive-idle}. */
public final class SpringKeys {

  private SpringKeys() {
  }

  /**
   * @param property a core property
   * @return its key in a Spring application, kebab-case
   */
  public static String springKey(LifelineProperty property) {
    return LifelineProperty.PREFIX + kebab(property.shortName());
  }

  /**
   * The Markdown table of the Spring keys beside the core's keys, with the core's defaults and descriptions, as the
   * README's "Spring Boot" section shows it.
   *
   * @return the table, one row per {@link LifelineProperty}, with a header
   */
  public static String markdownTable() {
    StringBuilder sb = new StringBuilder();
    sb.append("| Spring key | core key | default | description |\n");
    sb.append("|---|---|---|---|\n");
    for (LifelineProperty p : LifelineProperty.values()) {
      sb.append("| `").append(springKey(p)).append("` | `").append(p.key()).append("` | ")
          .append(p.defaultValue()).append(" | ").append(p.description()).append(" |\n");
    }
    return sb.toString();
  }

  static String kebab(String camel) {
    StringBuilder sb = new StringBuilder();
    for (char c : camel.toCharArray()) {
      if (Character.isUpperCase(c)) {
        sb.append('-').append(Character.toLowerCase(c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString().toLowerCase(Locale.ROOT);
  }
}

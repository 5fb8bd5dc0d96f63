package io.github.lifeline.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fields every borrow and return reads lie between their two paddings, in the layout this JVM actually gives
 * them (read with {@code Unsafe.objectFieldOffset}, through reflection). Failed before {@code p00}: HotSpot had put the
 * connection's {@code state} and the server's {@code settling} at offset 12, right after the object header and before
 * the padding ({@code UseEmptySlotsInSupers}).
 */
class CacheLinesTest {

  @Test
  void aConnectionsHotFieldsLieBetweenItsPaddings() throws Exception {
    assertBetweenPaddings(CacheLines.Hot.class, CacheLines.ConnectionPadBefore.class,
        CacheLines.ConnectionPadAfter.class);
  }

  @Test
  void aServersHotFieldsLieBetweenItsPaddings() throws Exception {
    assertBetweenPaddings(CacheLines.HostHot.class, CacheLines.HostPadBefore.class, CacheLines.HostPadAfter.class);
  }

  private static void assertBetweenPaddings(Class<?> hot, Class<?> before, Class<?> after) throws Exception {
    long beforeStart = Long.MAX_VALUE;
    long beforeEnd = 0;
    for (Field f : fields(before)) {
      beforeStart = Math.min(beforeStart, FieldLayout.offset(f));
      beforeEnd = Math.max(beforeEnd, FieldLayout.offset(f) + 8);
    }
    long afterStart = Long.MAX_VALUE;
    long afterEnd = 0;
    for (Field f : fields(after)) {
      afterStart = Math.min(afterStart, FieldLayout.offset(f));
      afterEnd = Math.max(afterEnd, FieldLayout.offset(f) + 8);
    }
    assertThat(beforeEnd - beforeStart).as("padding before, bytes").isGreaterThanOrEqualTo(64);
    assertThat(afterEnd - afterStart).as("padding after, bytes").isGreaterThanOrEqualTo(64);
    for (Field f : fields(hot)) {
      assertThat(FieldLayout.offset(f))
          .as("offset of %s (padding before ends at %d, padding after starts at %d)", f.getName(),
              beforeEnd, afterStart).isGreaterThanOrEqualTo(beforeEnd).isLessThan(afterStart);
    }
  }

  private static List<Field> fields(Class<?> type) {
    List<Field> out = new ArrayList<>();
    for (Field f : type.getDeclaredFields()) {
      if (!Modifier.isStatic(f.getModifiers())) {
        out.add(f);
      }
    }
    assertThat(out).as("fields of %s", type.getSimpleName()).isNotEmpty();
    return out;
  }
}

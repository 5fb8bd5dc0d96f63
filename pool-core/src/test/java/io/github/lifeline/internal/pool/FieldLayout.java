package io.github.lifeline.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

/** Field offsets in the layout this JVM gives a class, read with {@code Unsafe.objectFieldOffset} through reflection. */
public final class FieldLayout {

  /** A cache line on the CPUs Lifeline runs on (x86-64, and the 64-byte lines of most arm64 cores). */
  public static final int LINE = 64;

  private FieldLayout() {
  }

  /** The offset of instance field {@code f} from the start of its object. */
  public static long offset(Field f) throws Exception {
    Object unsafe = unsafe();
    Method objectFieldOffset = unsafe.getClass().getMethod("objectFieldOffset", Field.class);
    return (long) objectFieldOffset.invoke(unsafe, f);
  }

  /**
   * Asserts that each of {@code hot}, instance fields of {@code type} or of a superclass, has at least a cache line of
   * {@code type}'s own object between it and either end of the object: whatever object lies before or after an
   * instance in memory, it cannot share a cache line with these fields.
   */
  public static void assertAlone(Class<?> type, String... hot) throws Exception {
    long end = 0;
    for (Class<?> c = type; c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (!Modifier.isStatic(f.getModifiers())) {
          end = Math.max(end, offset(f) + size(f));
        }
      }
    }
    for (String name : hot) {
      Field f = field(type, name);
      long start = offset(f);
      assertThat(start).as("%s.%s: bytes of the object before it", type.getSimpleName(), name)
          .isGreaterThanOrEqualTo(LINE);
      assertThat(end - (start + size(f))).as("%s.%s: bytes of the object after it (offset %d, object end %d)",
          type.getSimpleName(), name, start, end).isGreaterThanOrEqualTo(LINE);
    }
  }

  private static Field field(Class<?> type, String name) {
    for (Class<?> c = type; c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (f.getName().equals(name) && !Modifier.isStatic(f.getModifiers())) {
          return f;
        }
      }
    }
    throw new AssertionError(type.getName() + " has no instance field " + name);
  }

  private static long size(Field f) throws Exception {
    Class<?> t = f.getType();
    if (t == long.class || t == double.class) {
      return 8;
    }
    if (t == int.class || t == float.class) {
      return 4;
    }
    if (t == short.class || t == char.class) {
      return 2;
    }
    if (t == byte.class || t == boolean.class) {
      return 1;
    }
    Object unsafe = unsafe();
    return (int) unsafe.getClass().getMethod("arrayIndexScale", Class.class).invoke(unsafe, Object[].class);
  }

  private static Object unsafe() throws Exception {
    Field theUnsafe = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
    theUnsafe.setAccessible(true);
    return theUnsafe.get(null);
  }
}

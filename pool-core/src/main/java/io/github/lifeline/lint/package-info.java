/**
 * The lint for a live pool: given what a pool is configured with, what its sockets carry (read back from the kernel)
 * and the kernel's own TCP settings, {@link io.github.lifeline.lint.Lint#check} lists what leaves the pool exposed to
 * a dead or hung peer, each finding with a stable code, a level, one line of why and the fix. The drill's
 * {@code doctor} prints it; an application (or the Spring integration) can run the same call at startup.
 */
package io.github.lifeline.lint;

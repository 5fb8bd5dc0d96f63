/**
 * JUnit 5 support: {@link io.github.lifeline.testkit.junit.RequiresFaultInjection} runs a test only where faults can
 * be injected (root and nftables), skips it with the reason elsewhere, and fails it instead with
 * {@code -Dlifeline.requireFaults=true}.
 */
package io.github.lifeline.testkit.junit;

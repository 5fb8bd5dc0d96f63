/**
 * Fault injection for the integration tests: {@link io.github.lifeline.testkit.fault.Blackhole} (a silent peer on
 * loopback with nftables), the gate {@link io.github.lifeline.testkit.junit.RequiresFaultInjection} (root and nftables,
 * or a skip; a failure with {@code -Dlifeline.requireFaults=true}), and
 * {@link io.github.lifeline.it.fault.FaultMatrix}, which writes {@code target/fault-matrix.json}.
 */
package io.github.lifeline.it.fault;

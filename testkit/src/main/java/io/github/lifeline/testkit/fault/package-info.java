/**
 * Faults below the database: {@link io.github.lifeline.testkit.fault.Blackhole} makes a server a silent peer on
 * loopback with an nftables table of its own (root and nftables needed).
 */
package io.github.lifeline.testkit.fault;

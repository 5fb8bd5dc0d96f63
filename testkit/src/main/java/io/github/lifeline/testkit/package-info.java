/**
 * The Lifeline testkit: the drivers under test ({@link io.github.lifeline.testkit.Driver}), a steady borrower
 * ({@link io.github.lifeline.testkit.Borrower}), timing helpers ({@link io.github.lifeline.testkit.Timed}) and the
 * kernel's socket table as {@code ss} shows it ({@link io.github.lifeline.testkit.KernelSockets}, and polled cheaply
 * through sock_diag: {@link io.github.lifeline.testkit.TcpDiag}). Servers are in
 * {@code server}, faults in {@code fault}. The integration tests, the Spring Boot tests and the drill share it.
 */
package io.github.lifeline.testkit;

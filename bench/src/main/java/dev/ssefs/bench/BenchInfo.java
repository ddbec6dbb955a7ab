package dev.ssefs.bench;

/** JMH benchmarks live in this module; run them with mount-scripts/jmh. */
final class BenchInfo {
    private BenchInfo() {}
}

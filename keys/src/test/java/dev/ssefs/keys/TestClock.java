package dev.ssefs.keys;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A mutable clock that tests move forward by hand. */
final class TestClock extends Clock {
    private volatile Instant now;

    TestClock(Instant start) { this.now = start; }

    TestClock() { this(Instant.parse("2026-01-01T00:00:00Z")); }

    void advance(Duration d) { now = now.plus(d); }

    @Override public ZoneId getZone() { return ZoneOffset.UTC; }

    @Override public Clock withZone(ZoneId zone) { return this; }

    @Override public Instant instant() { return now; }

    @Override public long millis() { return now.toEpochMilli(); }
}

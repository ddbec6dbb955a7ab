package dev.ssefs.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses durations as users type them: {@code 365d}, {@code 8760h}, {@code 31536000s}, or ISO-8601 {@code P365D}. */
final class Durations {
    private static final Pattern SHORT = Pattern.compile("(\\d{1,12})([dhs])");

    private Durations() {}

    /** @throws IllegalArgumentException with a message naming the accepted forms */
    static Duration parse(String text) {
        String t = text.trim();
        Matcher m = SHORT.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "d" -> Duration.ofDays(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofSeconds(n);
            };
        }
        if (t.startsWith("P") || t.startsWith("p")) {
            try {
                return Duration.parse(t);
            } catch (DateTimeParseException e) {
                // fall through to the message below
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not a duration; use e.g. 365d, 8760h, 31536000s or P365D");
    }
}

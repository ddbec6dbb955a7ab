package dev.ssefs.keys;

/** RAM-style glob: {@code *} matches any run of characters (also none), {@code ?} exactly one. */
final class Wildcard {
    private final String pattern;
    private final boolean ignoreCase;
    private final boolean literal;

    Wildcard(String pattern, boolean ignoreCase) {
        this.pattern = ignoreCase ? pattern.toLowerCase(java.util.Locale.ROOT) : pattern;
        this.ignoreCase = ignoreCase;
        this.literal = pattern.indexOf('*') < 0 && pattern.indexOf('?') < 0;
    }

    boolean matches(String text) {
        String s = ignoreCase ? text.toLowerCase(java.util.Locale.ROOT) : text;
        if (literal) return pattern.equals(s);
        // Iterative matcher with single backtrack point: linear for patterns without nested stars.
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < s.length()) {
            if (p < pattern.length() && (pattern.charAt(p) == '?' || pattern.charAt(p) == s.charAt(t))) {
                p++;
                t++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = t;
            } else if (star >= 0) {
                p = star + 1;
                t = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') p++;
        return p == pattern.length();
    }

    @Override
    public String toString() {
        return pattern;
    }
}

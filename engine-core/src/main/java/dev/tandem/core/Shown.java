package dev.tandem.core;

/**
 * File content quoted in a message: control and non-printable characters escaped, length capped, so a
 * corrupt key or name cannot print raw bytes (NULs, escape sequences) or pages of text to a terminal.
 */
public final class Shown {
    /** Characters of quoted content kept before the rest is counted instead. */
    public static final int MAX = 80;
    private static final int MAX_MESSAGE = 600;

    private Shown() {}

    /** {@code s} in single quotes, escaped and capped at {@link #MAX} characters. */
    public static String quote(String s) {
        return quote(s, MAX);
    }

    /** Any value from a file (a JSON node, a number) as quoted text. */
    public static String quote(Object o) {
        return quote(o == null ? null : String.valueOf(o), MAX);
    }

    public static String quote(String s, int max) {
        return s == null ? "(none)" : "'" + escape(s, max, true);
    }

    /**
     * A whole message made safe to print as one line: control characters escaped, capped. For the boundary
     * where errors leave a loader, whatever built them.
     */
    public static String clean(String message) {
        return message == null ? null : escape(message, MAX_MESSAGE, false).replaceFirst("^(.*)'( \\(\\d+ more characters\\))?$", "$1$2");
    }

    /** The escaped text, a closing quote, and the count of characters left out. */
    private static String escape(String s, int max, boolean inQuotes) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        for (; i < s.length() && i < max; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\'' -> sb.append(inQuotes ? "\\'" : "'");
                case '\\' -> sb.append(inQuotes ? "\\\\" : "\\");
                default -> {
                    if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || c == 0xFFFD || Character.isSurrogate(c)
                            || Character.getType(c) == Character.FORMAT) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('\'');
        if (i < s.length()) {
            sb.append(" (").append(s.length() - i).append(" more characters)");
        }
        return sb.toString();
    }
}

package dev.tandem.chat;

/**
 * Python's {@code str.strip()}, which Jinja's {@code trim} filter calls: it strips what Python calls
 * whitespace, which includes no-break spaces (U+00A0, U+202F) that Java's {@code String.strip} keeps.
 */
final class PythonStrings {
    private PythonStrings() {}

    static boolean isSpace(int c) {
        return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    static String strip(String s) {
        return strip(s, null, true, true);
    }

    /** {@code str.strip}/{@code lstrip}/{@code rstrip}: {@code chars} null strips Python whitespace. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        while (left && start < end && strippable(s.charAt(start), chars)) {
            start++;
        }
        while (right && end > start && strippable(s.charAt(end - 1), chars)) {
            end--;
        }
        return s.substring(start, end);
    }

    private static boolean strippable(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }
}

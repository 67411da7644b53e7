package dev.tandem.chat;

import dev.tandem.core.TandemException;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Python's {@code time.strftime} for the directives chat templates use ({@code strftime_now("%d %b %Y")} in
 * Llama 3.x's puts today's date in the system prompt), in the C locale (English names) as transformers runs it.
 */
final class Strftime {
    private Strftime() {}

    static String format(String pattern, ZonedDateTime t) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c != '%' || i + 1 == pattern.length()) {
                out.append(c);
                continue;
            }
            char d = pattern.charAt(++i);
            out.append(switch (d) {
                case 'a' -> java("EEE", t);
                case 'A' -> java("EEEE", t);
                case 'b', 'h' -> java("MMM", t);
                case 'B' -> java("MMMM", t);
                case 'd' -> java("dd", t);
                case 'e' -> String.format(Locale.ROOT, "%2d", t.getDayOfMonth());
                case 'H' -> java("HH", t);
                case 'I' -> java("hh", t);
                case 'j' -> java("DDD", t);
                case 'm' -> java("MM", t);
                case 'M' -> java("mm", t);
                case 'p' -> java("a", t);
                case 'S' -> java("ss", t);
                case 'y' -> java("yy", t);
                case 'Y' -> java("yyyy", t);
                case 'z' -> java("xx", t);
                case 'Z' -> java("zzz", t);
                case '%' -> "%";
                default -> throw new TandemException("strftime_now: the directive %" + d + " is not supported");
            });
        }
        return out.toString();
    }

    private static String java(String pattern, ZonedDateTime t) {
        return DateTimeFormatter.ofPattern(pattern, Locale.US).format(t);
    }
}

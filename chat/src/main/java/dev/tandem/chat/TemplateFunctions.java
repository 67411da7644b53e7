package dev.tandem.chat;

import java.time.ZonedDateTime;

/**
 * The functions transformers gives chat templates, as jinjava calls them (public static methods, which is
 * how jinjava binds functions): {@code raise_exception(message)} and {@code strftime_now(format)}.
 */
public final class TemplateFunctions {
    private TemplateFunctions() {}

    /** A template's own refusal of a conversation (roles out of order, a bad tool call id...). */
    static final class Raised extends RuntimeException {
        Raised(String message) {
            super(message, null, false, false);
        }
    }

    public static Object raiseException(String message) {
        throw new Raised(message);
    }

    public static String strftimeNow(String format) {
        return Strftime.format(format, ZonedDateTime.now());
    }
}

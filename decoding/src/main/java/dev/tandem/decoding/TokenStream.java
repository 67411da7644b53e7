package dev.tandem.decoding;

/** Receives text as soon as it is final (stop strings are held back until ruled out). */
@FunctionalInterface
public interface TokenStream {
    TokenStream NONE = text -> {};

    void onText(String text);

    /**
     * Polled before each new token: once true, the run stops with {@link StopReason#CANCELLED} (the caller
     * went away, or cancelled). Default: never.
     */
    default boolean cancelled() {
        return false;
    }
}

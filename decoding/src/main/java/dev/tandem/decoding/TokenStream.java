package dev.tandem.decoding;

/** Receives text as soon as it is final (stop strings are held back until ruled out). */
@FunctionalInterface
public interface TokenStream {
    TokenStream NONE = text -> {};

    void onText(String text);
}

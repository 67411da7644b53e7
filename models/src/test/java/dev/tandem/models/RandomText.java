package dev.tandem.models;

import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Seeded random text for the tokenizer property tests: each character is one of a few special pieces (a
 * space, a code point from some range, ...) or, with the remaining weight, a character of a sample text, so
 * that the text mixes what the vocabulary merges well with what it has to fall back on bytes for.
 */
public final class RandomText {
    private RandomText() {}

    /**
     * {@code length} draws from {@code rnd}: piece i with weight 1 each, a character of {@code sample} with
     * weight {@code sampleWeight}.
     */
    public static String draw(Random rnd, int length, List<Function<Random, String>> pieces, String sample, int sampleWeight) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int pick = rnd.nextInt(pieces.size() + sampleWeight);
            sb.append(pick < pieces.size() ? pieces.get(pick).apply(rnd) : String.valueOf(sample.charAt(rnd.nextInt(sample.length()))));
        }
        return sb.toString();
    }
}

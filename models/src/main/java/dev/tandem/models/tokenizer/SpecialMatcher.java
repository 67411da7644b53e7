package dev.tandem.models.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Finds special-token text in a string: the leftmost occurrence, the longest piece where several start there. */
final class SpecialMatcher {
    private final Map<Character, List<int[]>> byFirstChar = new HashMap<>(); // {id} lists, longest piece first
    private final Vocabulary vocab;

    SpecialMatcher(Vocabulary vocab, boolean control) {
        this.vocab = vocab;
        for (int id = 0; id < vocab.size(); id++) {
            TokenType t = vocab.type(id);
            String p = vocab.piece(id);
            boolean take = t == TokenType.USER_DEFINED || (control && t == TokenType.CONTROL);
            if (take && !p.isEmpty() && vocab.id(p) == id) {
                byFirstChar.computeIfAbsent(p.charAt(0), c -> new ArrayList<>()).add(new int[] {id});
            }
        }
        Comparator<int[]> longestFirst = Comparator.comparingInt(a -> -vocab.piece(a[0]).length());
        byFirstChar.values().forEach(l -> l.sort(longestFirst));
    }

    boolean isEmpty() {
        return byFirstChar.isEmpty();
    }

    /** The id of the special token starting at {@code at}, or -1. */
    int matchAt(String text, int at) {
        List<int[]> candidates = byFirstChar.get(text.charAt(at));
        if (candidates != null) {
            for (int[] c : candidates) {
                if (text.startsWith(vocab.piece(c[0]), at)) {
                    return c[0];
                }
            }
        }
        return -1;
    }
}

package dev.tandem.models.tokenizer;

import java.util.HashMap;
import java.util.Map;

/**
 * Finds special-token text in a string: the leftmost occurrence, the longest piece where several start
 * there. A trie over the pieces' characters, so a position costs the length of the longest piece that
 * could start there, not a scan of every piece with that first character (Gemma 3 has thousands starting
 * with '<').
 */
final class SpecialMatcher {
    private static final class Node {
        final Map<Character, Node> next = new HashMap<>(2);
        int id = -1; // a piece ends here
    }

    private final Node root = new Node();

    SpecialMatcher(Vocabulary vocab, boolean control) {
        for (int id = 0; id < vocab.size(); id++) {
            TokenType t = vocab.type(id);
            String p = vocab.piece(id);
            boolean take = t == TokenType.USER_DEFINED || (control && t == TokenType.CONTROL);
            if (take && !p.isEmpty() && vocab.id(p) == id) {
                Node n = root;
                for (int i = 0; i < p.length(); i++) {
                    n = n.next.computeIfAbsent(p.charAt(i), c -> new Node());
                }
                n.id = id;
            }
        }
    }

    boolean isEmpty() {
        return root.next.isEmpty();
    }

    /** The id of the longest special token starting at {@code at}, or -1. */
    int matchAt(String text, int at) {
        Node n = root;
        int found = -1;
        for (int i = at; i < text.length(); i++) {
            n = n.next.get(text.charAt(i));
            if (n == null) {
                break;
            }
            if (n.id >= 0) {
                found = n.id;
            }
        }
        return found;
    }
}

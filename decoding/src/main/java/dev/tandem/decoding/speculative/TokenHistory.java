package dev.tandem.decoding.speculative;

import java.util.Arrays;

/** The growing sequence a drafter looks at: prompt plus every token produced so far. */
public final class TokenHistory {
    private int[] tokens;
    private int size;
    private final int promptLength;

    public TokenHistory(int[] prompt) {
        this.tokens = Arrays.copyOf(prompt, Math.max(16, prompt.length * 2));
        this.size = prompt.length;
        this.promptLength = prompt.length;
    }

    public int size() {
        return size;
    }

    public int promptLength() {
        return promptLength;
    }

    public int get(int i) {
        return tokens[i];
    }

    public int last() {
        return tokens[size - 1];
    }

    public void add(int token) {
        if (size == tokens.length) {
            tokens = Arrays.copyOf(tokens, size * 2);
        }
        tokens[size++] = token;
    }

    public int[] toArray() {
        return Arrays.copyOf(tokens, size);
    }

    /**
     * Start of the earliest occurrence, in {@code [from, size - n)}, of the last {@code n} tokens (the
     * suffix itself excluded), or -1.
     */
    public int findSuffix(int n, int from) {
        if (n <= 0 || n >= size) {
            return -1;
        }
        int suffix = size - n;
        outer:
        for (int start = Math.max(0, from); start < suffix; start++) {
            for (int k = 0; k < n; k++) {
                if (tokens[start + k] != tokens[suffix + k]) {
                    continue outer;
                }
            }
            return start;
        }
        return -1;
    }
}

package dev.tandem.decoding.speculative;

import dev.tandem.core.TandemException;
import dev.tandem.decoding.Sampler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Prompt lookup / n-gram drafting: find the last n tokens (n from {@code maxNgram} down to 1) earlier in
 * prompt + generated text and propose what followed them. With {@code candidates > 1} several matches
 * (longest n-grams first, earliest first) are merged into a tree. Free: no model runs.
 */
public final class LookupDrafter implements Drafter {
    private final int maxNgram;
    private final int candidates;
    private final int maxNodes;

    public LookupDrafter(int maxNgram, int candidates, int maxNodes) {
        if (maxNgram < 1) {
            throw new TandemException("max n-gram must be >= 1, got " + maxNgram);
        }
        if (candidates < 1) {
            throw new TandemException("lookup candidates must be >= 1, got " + candidates);
        }
        this.maxNgram = maxNgram;
        this.candidates = candidates;
        this.maxNodes = maxNodes;
    }

    @Override
    public String name() {
        return candidates == 1 ? "lookup" : "lookup-tree";
    }

    @Override
    public boolean nestsChains() {
        return candidates == 1;
    }

    @Override
    public DraftTree propose(TokenHistory h, int maxDepth, Sampler sampler) {
        List<int[]> chains = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (int n = Math.min(maxNgram, h.size() - 1); n >= 1 && chains.size() < candidates; n--) {
            int from = 0;
            int start;
            while (chains.size() < candidates && (start = h.findSuffix(n, from)) >= 0) {
                int[] chain = continuation(h, start + n, maxDepth);
                String key = Arrays.toString(chain);
                if (chain.length > 0 && !seen.contains(key)) {
                    seen.add(key);
                    chains.add(chain);
                }
                from = start + 1;
            }
        }
        if (chains.isEmpty()) {
            return DraftTree.empty();
        }
        return candidates == 1 ? DraftTree.chain(chains.get(0)) : TreeBuilder.trie(chains, maxNodes);
    }

    static int[] continuation(TokenHistory h, int from, int maxLength) {
        int len = Math.max(0, Math.min(maxLength, h.size() - from));
        int[] out = new int[len];
        for (int i = 0; i < len; i++) {
            out[i] = h.get(from + i);
        }
        return out;
    }
}

package dev.tandem.decoding.speculative;

import dev.tandem.decoding.Sampler;
import java.util.HashMap;
import java.util.Map;

/**
 * MaG, the statistical bottom of CS Drafting's cascade: repeatedly copy what followed the longest earlier
 * occurrence of the current suffix (of the history plus what MaG has drafted so far); where nothing
 * matches, follow a bigram table of each token's most frequent successor in the context (lowest id on
 * ties). Free: no model runs.
 */
public final class MagDrafter implements Drafter {
    private static final int MAX_NGRAM = 32;

    private final Map<Long, Integer> pairCounts = new HashMap<>();
    private final Map<Integer, int[]> best = new HashMap<>(); // token -> {successor, count}
    private int counted; // history tokens whose successor pair is counted

    @Override
    public String name() {
        return "mag";
    }

    @Override
    public void reset(TokenHistory history) {
        pairCounts.clear();
        best.clear();
        counted = 0;
    }

    @Override
    public DraftTree propose(TokenHistory h, int maxDepth, Sampler sampler) {
        return DraftTree.chain(draft(h, new int[0], maxDepth));
    }

    /** Up to {@code k} tokens continuing history ++ prefix. */
    int[] draft(TokenHistory h, int[] prefix, int k) {
        countPairs(h);
        TokenHistory view = new TokenHistory(h.toArray());
        for (int t : prefix) {
            view.add(t);
        }
        int base = view.size();
        while (view.size() - base < k) {
            int want = k - (view.size() - base);
            int copied = 0;
            for (int n = Math.min(MAX_NGRAM, view.size() - 1); n >= 1 && copied == 0; n--) {
                int start = view.findSuffix(n, 0);
                if (start >= 0) {
                    int[] cont = LookupDrafter.continuation(view, start + n, want);
                    for (int t : cont) {
                        view.add(t);
                    }
                    copied = cont.length;
                }
            }
            if (copied == 0) {
                int[] b = best.get(view.last());
                if (b == null) {
                    break;
                }
                view.add(b[0]);
            }
        }
        int[] out = new int[view.size() - base];
        for (int i = 0; i < out.length; i++) {
            out[i] = view.get(base + i);
        }
        return out;
    }

    private void countPairs(TokenHistory h) {
        for (; counted + 1 < h.size(); counted++) {
            int prev = h.get(counted);
            int next = h.get(counted + 1);
            long key = ((long) prev << 32) | (next & 0xffffffffL);
            int c = pairCounts.merge(key, 1, Integer::sum);
            int[] b = best.get(prev);
            if (b == null || c > b[1] || (c == b[1] && next < b[0])) {
                best.put(prev, new int[] {next, c});
            }
        }
    }
}

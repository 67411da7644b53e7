package dev.tandem.decoding.speculative;

import dev.tandem.core.TandemException;
import dev.tandem.decoding.DecodingClock;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.GenerationResult;
import dev.tandem.decoding.GenerationStats;
import dev.tandem.decoding.Generator;
import dev.tandem.decoding.OutputTracker;
import dev.tandem.decoding.Prefill;
import dev.tandem.decoding.Sampler;
import dev.tandem.decoding.TokenStream;
import dev.tandem.models.Batch;
import dev.tandem.models.ForwardResult;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The loop every drafting method shares: the drafter proposes a tree below the last token, one target
 * forward pass scores the last token and the whole tree together (tree attention), the verifier accepts a
 * path plus one target token, and the cache keeps only that path. Each step yields 1 + accepted tokens.
 */
public final class SpeculativeGenerator implements Generator {
    private final String method;
    private final Transformer target;
    private final Tokenizer tokenizer;
    private final Drafter drafter;
    private final int maxDepth;

    public SpeculativeGenerator(String method, Transformer target, Tokenizer tokenizer, Drafter drafter, int maxDepth) {
        if (maxDepth < 1) {
            throw new TandemException("draft length must be >= 1, got " + maxDepth);
        }
        if (maxDepth >= target.config().contextLength()) {
            throw new TandemException("draft length " + maxDepth + " is beyond the context of "
                    + target.config().contextLength() + " tokens");
        }
        this.method = method;
        this.target = target;
        this.tokenizer = tokenizer;
        this.drafter = drafter;
        this.maxDepth = maxDepth;
    }

    @Override
    public String method() {
        return method;
    }

    @Override
    public GenerationResult generate(GenerationRequest request, TokenStream stream) {
        OutputTracker out = OutputTracker.begin(target, tokenizer, request, stream);
        int[] prompt = request.promptTokens();
        Sampler sampler = new Sampler(request.sampling());
        TokenHistory history = new TokenHistory(prompt);
        drafter.reset(history);
        Map<String, Long> draftsBefore = new LinkedHashMap<>(drafter.draftForwards());
        Map<String, Long> eventsBefore = new LinkedHashMap<>(drafter.events());
        boolean hidden = drafter.wantsHiddenState();
        long[] proposedAt = new long[maxDepth + 1];
        long[] acceptedAt = new long[maxDepth + 1];
        long[] histogram = new long[maxDepth + 1];
        boolean lossless = true;

        long start = DecodingClock.nanoTime();
        float[][] promptHidden = new float[1][];
        float[] logits = Prefill.run(target, prompt, hidden ? promptHidden : null);
        long promptDone = DecodingClock.nanoTime();
        int forwards = 1;
        long verifiedRows = 0;
        if (hidden) {
            drafter.observe(promptHidden[0], logits);
        }
        int pending = sampler.sample(logits);
        boolean going = out.accept(pending);
        history.add(pending);
        while (going) {
            int depthLeft = Math.min(maxDepth, request.maxNewTokens() - out.count() - 1);
            long draftStart = DecodingClock.nanoTime();
            DraftTree tree = depthLeft > 0 ? drafter.propose(history, depthLeft, sampler) : DraftTree.empty();
            long draftNanos = DecodingClock.nanoTime() - draftStart;
            if (tree.size() + 1 > target.cache().maxBatch()) {
                throw new TandemException("draft of " + tree.size() + " nodes exceeds the verification batch of "
                        + (target.cache().maxBatch() - 1));
            }
            if (tree.maxDepth() > depthLeft) {
                throw new IllegalStateException(drafter.name() + " drafted " + tree.maxDepth() + " deep, asked for " + depthLeft);
            }
            Batch batch = treeBatch(pending, tree);
            long verifyStart = DecodingClock.nanoTime();
            ForwardResult result = target.forward(hidden ? batch.withHiddenStates() : batch);
            long verifyNanos = DecodingClock.nanoTime() - verifyStart;
            forwards++;
            verifiedRows += batch.size();
            Verifier verifier = drafter.verifier(request.sampling(), tree.kind());
            lossless &= verifier.lossless();
            Acceptance a = verifier.verify(tree, TargetLogits.of(result), sampler);

            int[] rows = new int[a.path().length + 1];
            for (int i = 0; i < a.path().length; i++) {
                rows[i + 1] = a.path()[i] + 1;
            }
            target.cache().commit(rows);
            drafter.sharedPass(result.peerRows());
            drafter.verified(tree, a.acceptedLength(), verifyNanos, draftNanos);
            if (hidden) {
                int last = rows[rows.length - 1]; // the row whose prediction is the next pending token
                drafter.observe(result.hiddenState(last), result.logits(last));
            }
            histogram[a.acceptedLength()]++;
            int depth = tree.maxDepth();
            for (int d = 1; d <= depth; d++) {
                proposedAt[d]++;
                if (a.acceptedLength() >= d) {
                    acceptedAt[d]++;
                }
            }
            for (int node : a.path()) {
                int t = tree.token(node);
                history.add(t);
                if (!out.accept(t)) {
                    going = false;
                    break;
                }
            }
            if (going) {
                pending = a.nextToken();
                history.add(pending);
                going = out.accept(pending);
            }
        }
        long end = DecodingClock.nanoTime();

        Map<String, Long> draftForwards = new LinkedHashMap<>();
        drafter.draftForwards().forEach((k, v) -> draftForwards.put(k, v - draftsBefore.getOrDefault(k, 0L)));
        double[] acceptance = new double[maxDepth];
        int used = 0;
        for (int d = 1; d <= maxDepth; d++) {
            if (proposedAt[d] > 0) {
                acceptance[d - 1] = (double) acceptedAt[d] / proposedAt[d];
                used = d;
            }
        }
        Map<String, Long> events = new LinkedHashMap<>();
        drafter.events().forEach((k, v) -> events.put(k, v - eventsBefore.getOrDefault(k, 0L)));
        GenerationStats stats = new GenerationStats(out.count(), forwards, (end - start) / 1e9, (promptDone - start) / 1e9,
                request.sampling().seed(), draftForwards, Arrays.copyOf(acceptance, used), lossless, events, histogram, verifiedRows);
        return new GenerationResult(prompt, out.tokens(), out.text(), out.stopReason(), stats);
    }

    /** Row 0 is the pending token; draft node i is row i + 1. */
    static Batch treeBatch(int pending, DraftTree tree) {
        int n = tree.size() + 1;
        int[] tokens = new int[n];
        int[] parents = new int[n];
        tokens[0] = pending;
        parents[0] = -1;
        for (int i = 0; i < tree.size(); i++) {
            tokens[i + 1] = tree.token(i);
            parents[i + 1] = tree.parent(i) + 1;
        }
        return Batch.tree(tokens, parents);
    }
}

package dev.tandem.decoding;

import dev.tandem.core.TandemException;
import dev.tandem.models.Model;
import java.util.List;

/**
 * Settings of the drafting methods; each method reads the ones it needs.
 *
 * @param draftLength      most draft tokens per step (the depth of a draft tree)
 * @param maxNgram         lookup: longest suffix n-gram matched
 * @param lookupCandidates lookup: matches merged into a draft tree (1 = a chain)
 * @param draftModels      draft/csd: separate draft models, largest first (same tokenizer as the target)
 * @param draftLayers      draft/csd: self-drafts made of the target's first K layers, largest first
 * @param treeBudget       draft: 0 = chain, else the node budget of a top-k draft tree
 * @param branching        draft tree: candidates kept per position
 * @param kMatrix          csd: CS Drafting's k-matrix, e.g. "4,4;0,10" (null = default for the levels)
 * @param lenience         csd: lenience of the target's verification: 1 = lossless; > 1 is CS Drafting's
 *                         lossy relaxation
 * @param reviewLenience   csd: lenience of the draft models' reviews inside the cascade (0 = the default);
 *                         the target still verifies, so this never changes the output
 * @param heads            medusa/cerberus: the heads file
 * @param gateEntropy      medusa/cerberus: adaptive gate threshold in nats (-1 = the method's default, 0 = off)
 */
public record MethodOptions(int draftLength, int maxNgram, int lookupCandidates, List<Model> draftModels,
                            List<Integer> draftLayers, int treeBudget, int branching, String kMatrix, double lenience,
                            double reviewLenience, java.nio.file.Path heads, double gateEntropy) {

    public static MethodOptions defaults() {
        return new MethodOptions(0, 3, 1, List.of(), List.of(), 0, 3, null, 1.0, 0, null, -1);
    }

    public MethodOptions(int draftLength, int maxNgram, int lookupCandidates, List<Model> draftModels,
                         List<Integer> draftLayers, int treeBudget, int branching, String kMatrix, double lenience) {
        this(draftLength, maxNgram, lookupCandidates, draftModels, draftLayers, treeBudget, branching, kMatrix, lenience, 0, null, -1);
    }

    /** These options with a heads file and a gate threshold. */
    public MethodOptions withHeads(java.nio.file.Path file, double gate) {
        return new MethodOptions(draftLength, maxNgram, lookupCandidates, draftModels, draftLayers, treeBudget, branching,
                kMatrix, lenience, reviewLenience, file, gate);
    }

    public MethodOptions {
        draftModels = List.copyOf(draftModels);
        draftLayers = List.copyOf(draftLayers);
        if (draftLength < 0) {
            throw new TandemException("draft length must be >= 1, got " + draftLength);
        }
        if (!(lenience >= 1)) {
            throw new TandemException("lenience must be >= 1 (1 is lossless), got " + lenience);
        }
        if (reviewLenience != 0 && !(reviewLenience >= 1)) {
            throw new TandemException("review lenience must be >= 1, got " + reviewLenience);
        }
        if (gateEntropy != -1 && !(gateEntropy >= 0)) {
            throw new TandemException("gate entropy must be >= 0 (0 turns the gate off), got " + gateEntropy);
        }
        if (treeBudget < 0 || treeBudget > 63) {
            throw new TandemException("tree budget must be between 0 (a chain) and 63 nodes, got " + treeBudget);
        }
    }

    public MethodOptions withDraftLength(int n) {
        return new MethodOptions(n, maxNgram, lookupCandidates, draftModels, draftLayers, treeBudget, branching, kMatrix,
                lenience, reviewLenience, heads, gateEntropy);
    }
}

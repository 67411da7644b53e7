package dev.tandem.decoding.methods;

import dev.tandem.core.TandemException;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.speculative.CascadeDrafter;
import dev.tandem.models.Model;
import dev.tandem.models.Transformer;
import java.util.ArrayList;
import java.util.List;

/** What several methods share: default lengths, draft models from the options, CS Drafting's k-matrix. */
final class Drafts {
    /** Default draft lengths, chosen by measurement on stories260K (see docs/MEASUREMENTS.md). */
    static final int LOOKUP_LENGTH = 8;
    static final int DRAFT_LENGTH = 4;
    static final int CSD_LENGTH = 12;
    /** Reviews inside the cascade reject only tokens the reviewer gives under 1% (measured: docs/MEASUREMENTS.md). */
    static final double DEFAULT_REVIEW_LENIENCE = 100;

    private Drafts() {}

    static int length(MethodOptions o, int def) {
        return o.draftLength() > 0 ? o.draftLength() : def;
    }

    /**
     * CS Drafting's k-matrix for n draft model levels + MaG: each model level gets 2 tokens reviewed by the
     * level above, MaG proposes 10 at the bottom and tops each draft up with 4 more.
     */
    static int[][] defaultK(int models) {
        int levels = models + 1;
        int[][] k = new int[levels][levels];
        for (int r = 0; r < levels; r++) {
            for (int j = r; j < levels - 1; j++) {
                k[r][j] = 2;
            }
            k[r][levels - 1] = r == levels - 1 ? CascadeDrafter.MAG_PROPOSAL : 4;
        }
        return k;
    }

    /** The draft models as transformers on the target's backend: separate models first, then self-drafts. */
    static List<Transformer> models(Transformer target, MethodOptions o) {
        List<Transformer> out = new ArrayList<>();
        for (Model m : o.draftModels()) {
            out.add(separate(target, m));
        }
        for (int k : selfDraftLayers(target, o)) {
            out.add(selfDraft(target, k));
        }
        return out;
    }

    /** The first draft model alone (what the router's draft and cascade options use), without building the others. */
    static Transformer first(Transformer target, MethodOptions o) {
        return o.draftModels().isEmpty() ? selfDraft(target, selfDraftLayers(target, o).get(0)) : separate(target, o.draftModels().get(0));
    }

    private static Transformer separate(Transformer target, Model m) {
        if (m.config().vocabSize() != target.config().vocabSize()) {
            throw new TandemException("draft model " + m.path() + " has a vocabulary of " + m.config().vocabSize()
                    + " tokens but the target's has " + target.config().vocabSize() + "; they must share the tokenizer");
        }
        return new Transformer(m, target.backend(), target.cache().maxBatch());
    }

    private static Transformer selfDraft(Transformer target, int k) {
        if (k < 1 || k >= target.config().layers()) {
            throw new TandemException("--draft-layers " + k + " must be between 1 and " + (target.config().layers() - 1)
                    + " (the target has " + target.config().layers() + " layers)");
        }
        return new Transformer(target.model(), target.backend(), target.cache().maxBatch(), k);
    }

    /**
     * The self-draft layer counts asked for; with neither --draft-model nor --draft-layers, the first
     * three quarters of the target's layers (4 of stories260K's 5: fewer agree with the target too rarely
     * to pay, see docs/MEASUREMENTS.md).
     */
    static List<Integer> selfDraftLayers(Transformer target, MethodOptions o) {
        if (o.draftLayers().isEmpty() && o.draftModels().isEmpty()) {
            int layers = target.config().layers();
            return List.of(Math.max(1, Math.min(layers - 1, (int) Math.ceil(layers * 0.75))));
        }
        return o.draftLayers();
    }

    /**
     * A lower bound on one pass of {@code draft} in one-row passes of {@code target}. The target's own first k
     * layers: k / layers (the same layers, and the classifier besides). A separate model: half the share of the
     * target's weight bytes it reads per token (what a pass costs on a model bound by reading its weights; halved
     * because a byte of another weight type can cost half as much to read and decode).
     */
    static double passShare(Transformer draft, Transformer target) {
        if (draft.model() == target.model()) {
            return (double) draft.layers() / target.layers();
        }
        return 0.5 * draft.model().weights().bytesPerToken(draft.layers()) / target.model().weights().bytesPerToken(target.layers());
    }

    static List<String> names(Transformer target, MethodOptions o) {
        List<String> names = new ArrayList<>();
        for (Model m : o.draftModels()) {
            names.add(m.name());
        }
        for (int k : selfDraftLayers(target, o)) {
            names.add("layers-" + k);
        }
        return names;
    }
}

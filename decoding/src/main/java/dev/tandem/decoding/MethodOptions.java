package dev.tandem.decoding;

import dev.tandem.core.TandemException;
import dev.tandem.models.Model;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Settings of the decoding methods, set by name through {@link #builder()}; each method reads the ones it
 * declares ({@link dev.tandem.decoding.methods.DecodingMethod#settings()}), and the CLI refuses a flag the
 * chosen method would ignore.
 */
public final class MethodOptions {
    /** One setting, named by its CLI flag (null: set from Java only). */
    public enum Setting {
        DRAFT_LENGTH("--draft-length"), MAX_NGRAM("--max-ngram"), LOOKUP_CANDIDATES("--lookup-candidates"),
        DRAFT_MODELS("--draft-model"), DRAFT_LAYERS("--draft-layers"), TREE_BUDGET("--tree-budget"), BRANCHING("--branching"),
        K_MATRIX("--k-matrix"), LENIENCE("--lenience"), REVIEW_LENIENCE(null), HEADS("--heads"), GATE_ENTROPY("--gate-entropy"),
        NGRAM_TABLE("--ngram-table");

        private final String flag;

        Setting(String flag) {
            this.flag = flag;
        }

        /** The CLI flag that sets it, or null. */
        public String flag() {
            return flag;
        }
    }

    private final int draftLength;
    private final int maxNgram;
    private final int lookupCandidates;
    private final List<Model> draftModels;
    private final List<Integer> draftLayers;
    private final int treeBudget;
    private final int branching;
    private final String kMatrix;
    private final double lenience;
    private final double reviewLenience;
    private final Path heads;
    private final double gateEntropy;
    private final Path ngramTable;
    private final Set<Setting> reads; // null unless tracked (tests: which settings a method really reads)

    private MethodOptions(Builder b, Set<Setting> reads) {
        if (b.draftLength < 0) {
            throw new TandemException("draft length must be >= 1, got " + b.draftLength);
        }
        if (!(b.lenience >= 1)) {
            throw new TandemException("lenience must be >= 1 (1 is lossless), got " + b.lenience);
        }
        if (b.reviewLenience != 0 && !(b.reviewLenience >= 1)) {
            throw new TandemException("review lenience must be >= 1, got " + b.reviewLenience);
        }
        if (b.gateEntropy != -1 && !(b.gateEntropy >= 0)) {
            throw new TandemException("gate entropy must be >= 0 (0 turns the gate off), got " + b.gateEntropy);
        }
        if (b.treeBudget < 0 || b.treeBudget > 63) {
            throw new TandemException("tree budget must be between 0 (a chain) and 63 nodes, got " + b.treeBudget);
        }
        draftLength = b.draftLength;
        maxNgram = b.maxNgram;
        lookupCandidates = b.lookupCandidates;
        draftModels = List.copyOf(b.draftModels);
        draftLayers = List.copyOf(b.draftLayers);
        treeBudget = b.treeBudget;
        branching = b.branching;
        kMatrix = b.kMatrix;
        lenience = b.lenience;
        reviewLenience = b.reviewLenience;
        heads = b.heads;
        gateEntropy = b.gateEntropy;
        ngramTable = b.ngramTable;
        this.reads = reads;
    }

    public static MethodOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings. */
    public Builder toBuilder() {
        return new Builder().draftLength(draftLength).maxNgram(maxNgram).lookupCandidates(lookupCandidates)
                .draftModels(draftModels).draftLayers(draftLayers).treeBudget(treeBudget).branching(branching).kMatrix(kMatrix)
                .lenience(lenience).reviewLenience(reviewLenience).heads(heads).gateEntropy(gateEntropy).ngramTable(ngramTable);
    }

    /** These settings, recording which ones are read into {@code reads} (to check a method's declaration). */
    public MethodOptions tracked(Set<Setting> reads) {
        return new MethodOptions(toBuilder(), Objects.requireNonNull(reads));
    }

    private void read(Setting s) {
        if (reads != null) {
            reads.add(s);
        }
    }

    /** Most draft tokens per step (the depth of a draft tree); 0 = the method's default. */
    public int draftLength() {
        read(Setting.DRAFT_LENGTH);
        return draftLength;
    }

    /** lookup: longest suffix n-gram matched. */
    public int maxNgram() {
        read(Setting.MAX_NGRAM);
        return maxNgram;
    }

    /** lookup: matches merged into a draft tree (1 = a chain). */
    public int lookupCandidates() {
        read(Setting.LOOKUP_CANDIDATES);
        return lookupCandidates;
    }

    /** draft/csd: separate draft models, largest first (same tokenizer as the target). */
    public List<Model> draftModels() {
        read(Setting.DRAFT_MODELS);
        return draftModels;
    }

    /** draft/csd: self-drafts made of the target's first K layers, largest first. */
    public List<Integer> draftLayers() {
        read(Setting.DRAFT_LAYERS);
        return draftLayers;
    }

    /** draft: 0 = chain, else the node budget of a top-k draft tree; heads: the tree budget (0 = default). */
    public int treeBudget() {
        read(Setting.TREE_BUDGET);
        return treeBudget;
    }

    /** Draft trees: candidates kept per position. */
    public int branching() {
        read(Setting.BRANCHING);
        return branching;
    }

    /** csd: CS Drafting's k-matrix, e.g. "4,4;0,10" (null = the default for the levels). */
    public String kMatrix() {
        read(Setting.K_MATRIX);
        return kMatrix;
    }

    /** csd: lenience of the target's verification: 1 = lossless; above 1, CS Drafting's lossy relaxation. */
    public double lenience() {
        read(Setting.LENIENCE);
        return lenience;
    }

    /** csd: lenience of the draft models' reviews inside the cascade (0 = default); never changes the output. */
    public double reviewLenience() {
        read(Setting.REVIEW_LENIENCE);
        return reviewLenience;
    }

    /** medusa/cerberus/hidden-transfer: the heads file. */
    public Path heads() {
        read(Setting.HEADS);
        return heads;
    }

    /** medusa/cerberus: adaptive gate threshold in nats (-1 = the method's default, 0 = off). */
    public double gateEntropy() {
        read(Setting.GATE_ENTROPY);
        return gateEntropy;
    }

    /** ngram: the n-gram table file made by {@code ./tandem train-ngram}. */
    public Path ngramTable() {
        read(Setting.NGRAM_TABLE);
        return ngramTable;
    }

    /** These options with a heads file and a gate threshold. */
    public MethodOptions withHeads(Path file, double gate) {
        return toBuilder().heads(file).gateEntropy(gate).build();
    }

    public MethodOptions withDraftLength(int n) {
        return toBuilder().draftLength(n).build();
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("MethodOptions[");
        Builder d = new Builder();
        append(s, "draftLength", draftLength, d.draftLength);
        append(s, "maxNgram", maxNgram, d.maxNgram);
        append(s, "lookupCandidates", lookupCandidates, d.lookupCandidates);
        append(s, "draftModels", draftModels.stream().map(Model::name).toList(), List.of());
        append(s, "draftLayers", draftLayers, List.of());
        append(s, "treeBudget", treeBudget, d.treeBudget);
        append(s, "branching", branching, d.branching);
        append(s, "kMatrix", kMatrix, null);
        append(s, "lenience", lenience, d.lenience);
        append(s, "reviewLenience", reviewLenience, d.reviewLenience);
        append(s, "heads", heads, null);
        append(s, "gateEntropy", gateEntropy, d.gateEntropy);
        append(s, "ngramTable", ngramTable, null);
        return s.append(']').toString();
    }

    /** Only the settings that differ from the defaults, so a test failure names what was set. */
    private static void append(StringBuilder s, String name, Object value, Object dflt) {
        if (!Objects.equals(value, dflt)) {
            s.append(s.charAt(s.length() - 1) == '[' ? "" : ", ").append(name).append('=').append(value);
        }
    }

    /** Named settings, each starting at its default. */
    public static final class Builder {
        private int draftLength = 0;
        private int maxNgram = 3;
        private int lookupCandidates = 1;
        private List<Model> draftModels = List.of();
        private List<Integer> draftLayers = List.of();
        private int treeBudget = 0;
        private int branching = 3;
        private String kMatrix;
        private double lenience = 1.0;
        private double reviewLenience = 0;
        private Path heads;
        private double gateEntropy = -1;
        private Path ngramTable;

        private Builder() {}

        public Builder ngramTable(Path v) {
            ngramTable = v;
            return this;
        }

        public Builder draftLength(int v) {
            draftLength = v;
            return this;
        }

        public Builder maxNgram(int v) {
            maxNgram = v;
            return this;
        }

        public Builder lookupCandidates(int v) {
            lookupCandidates = v;
            return this;
        }

        public Builder draftModels(List<Model> v) {
            draftModels = v;
            return this;
        }

        public Builder draftLayers(List<Integer> v) {
            draftLayers = v;
            return this;
        }

        public Builder treeBudget(int v) {
            treeBudget = v;
            return this;
        }

        public Builder branching(int v) {
            branching = v;
            return this;
        }

        public Builder kMatrix(String v) {
            kMatrix = v;
            return this;
        }

        public Builder lenience(double v) {
            lenience = v;
            return this;
        }

        public Builder reviewLenience(double v) {
            reviewLenience = v;
            return this;
        }

        public Builder heads(Path v) {
            heads = v;
            return this;
        }

        public Builder gateEntropy(double v) {
            gateEntropy = v;
            return this;
        }

        /** The options; fails with a clear error for a value out of range. */
        public MethodOptions build() {
            return new MethodOptions(this, null);
        }
    }

    /** Every setting, for methods that read them all (the router builds every other method's drafters). */
    public static Set<Setting> all() {
        return EnumSet.allOf(Setting.class);
    }
}

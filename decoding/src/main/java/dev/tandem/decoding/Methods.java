package dev.tandem.decoding;

import dev.tandem.core.TandemException;
import dev.tandem.decoding.heads.Heads;
import dev.tandem.decoding.heads.HeadsDrafter;
import dev.tandem.decoding.heads.HeadsFile;
import dev.tandem.decoding.heads.HiddenTransferDrafter;
import dev.tandem.decoding.heads.TransferMaps;
import dev.tandem.decoding.speculative.CascadeDrafter;
import dev.tandem.decoding.speculative.CostModel;
import dev.tandem.decoding.speculative.RouterDrafter;
import dev.tandem.decoding.speculative.DraftModelDrafter;
import dev.tandem.decoding.speculative.LookupDrafter;
import dev.tandem.decoding.speculative.SpeculativeGenerator;
import dev.tandem.models.Model;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.util.ArrayList;
import java.util.List;

/** The decoding methods by the names the CLI and the server use. */
public final class Methods {
    /** Methods this build implements. */
    public static final List<String> AVAILABLE = List.of("ar", "lookup", "draft", "csd", "medusa", "cerberus",
            "hidden-transfer", "auto");

    /** Named in the papers and the issues, not built yet: asking for them says so. */
    public static final List<String> NOT_YET = List.of();

    /** Default draft lengths, chosen by measurement on stories260K (see docs/MEASUREMENTS.md). */
    static final int LOOKUP_LENGTH = 8;
    static final int DRAFT_LENGTH = 4;
    static final int CSD_LENGTH = 12;
    /** Reviews inside the cascade reject only tokens the reviewer gives under 1% (measured: docs/MEASUREMENTS.md). */
    static final double DEFAULT_REVIEW_LENIENCE = 100;

    private Methods() {}

    public static Generator create(String method, Transformer target, Tokenizer tokenizer) {
        return create(method, target, tokenizer, MethodOptions.defaults());
    }

    public static Generator create(String method, Transformer target, Tokenizer tokenizer, MethodOptions o) {
        check(method);
        return switch (method) {
            case "ar" -> new AutoregressiveGenerator(target, tokenizer);
            case "lookup" -> new SpeculativeGenerator("lookup", target, tokenizer,
                    new LookupDrafter(o.maxNgram(), o.lookupCandidates(), target.cache().maxBatch() - 1),
                    length(o, LOOKUP_LENGTH));
            case "draft" -> {
                List<Transformer> drafts = draftModels(target, o);
                if (drafts.size() != 1) {
                    throw new TandemException("--method draft takes one draft model (--draft-model PATH or --draft-layers K), got " + drafts.size());
                }
                int n = length(o, DRAFT_LENGTH);
                yield new SpeculativeGenerator("draft", target, tokenizer,
                        new DraftModelDrafter(draftNames(target, o).get(0), drafts.get(0), n, o.branching(), o.treeBudget()), n);
            }
            case "csd" -> {
                List<Transformer> drafts = draftModels(target, o);
                int[][] k = o.kMatrix() != null ? CascadeDrafter.parseK(o.kMatrix()) : defaultK(drafts.size());
                yield new SpeculativeGenerator("csd", target, tokenizer,
                        new CascadeDrafter(drafts, draftNames(target, o), k, o.lenience(),
                                o.reviewLenience() > 0 ? o.reviewLenience() : DEFAULT_REVIEW_LENIENCE), length(o, CSD_LENGTH));
            }
            case "medusa", "cerberus" -> headsGenerator(method, target, tokenizer, o);
            case "auto" -> autoGenerator(target, tokenizer, o);
            case "hidden-transfer" -> {
                if (o.heads() == null) {
                    throw new TandemException("--method hidden-transfer needs --heads PATH (train them with ./tandem train-heads --kind hidden-transfer)");
                }
                TransferMaps maps = TransferMaps.load(o.heads(), target.config());
                int budget = o.treeBudget() > 0 ? o.treeBudget() : HEADS_TREE_BUDGET;
                int depth = Math.min(maps.count() + 1, o.draftLength() > 0 ? o.draftLength() : maps.count() + 1);
                yield new SpeculativeGenerator("hidden-transfer", target, tokenizer,
                        new HiddenTransferDrafter(target, maps, o.branching(), budget), depth);
            }
            default -> throw new IllegalStateException(method);
        };
    }

    /** Heads' tree budget and Cerberus' gate (draft only below this next-token entropy, in nats), both the
     *  best tokens/s of a sweep on stories260K (budgets 3/6/16 x gates off/1.0/1.5/2.0; see docs/MEASUREMENTS.md). */
    static final int HEADS_TREE_BUDGET = 6;
    static final double DEFAULT_GATE_ENTROPY = 1.0;

    /** Start-up calibration of the verification cost (then refined by every measured step). */
    static final long CALIBRATION_MILLIS = 300;

    /**
     * The router's options: plain steps; lookup 2, 4 or 8 deep; the draft model 2 or 4 deep; CS Drafting;
     * and, given --heads, the heads with trees of 3 and 6 nodes.
     */
    private static Generator autoGenerator(Transformer target, Tokenizer tokenizer, MethodOptions o) {
        List<RouterDrafter.Option> options = new ArrayList<>();
        options.add(new RouterDrafter.Option("ar", null, 0));
        LookupDrafter lookup = new LookupDrafter(o.maxNgram(), 1, target.cache().maxBatch() - 1);
        for (int depth : new int[] {2, 4, 8}) {
            options.add(new RouterDrafter.Option("lookup-" + depth, lookup, depth));
        }
        List<Transformer> drafts = draftModels(target, o);
        String draftName = draftNames(target, o).get(0);
        DraftModelDrafter draft = new DraftModelDrafter(draftName, drafts.get(0), 4, o.branching(), 0);
        options.add(new RouterDrafter.Option("draft-2", draft, 2));
        options.add(new RouterDrafter.Option("draft-4", draft, 4));
        Transformer cascadeModel = new Transformer(drafts.get(0).model(), target.backend(), target.cache().maxBatch(), drafts.get(0).layers());
        options.add(new RouterDrafter.Option("csd", new CascadeDrafter(List.of(cascadeModel), List.of(draftName), defaultK(1), 1.0,
                DEFAULT_REVIEW_LENIENCE), CSD_LENGTH));
        if (o.heads() != null) {
            Heads heads = HeadsFile.load(o.heads(), target.config());
            for (int budget : new int[] {3, 6}) {
                options.add(new RouterDrafter.Option(heads.kind().id() + "-" + budget, new HeadsDrafter(heads,
                        target.model().weights().classifier(), target.model().weights().tokenEmbedding(), target.backend(),
                        o.branching(), budget, 0), heads.count()));
            }
        }
        int maxDepth = options.stream().mapToInt(RouterDrafter.Option::depth).max().orElse(1);
        CostModel cost = CostModel.calibrate(new Transformer(target.model(), target.backend(), target.cache().maxBatch()), CALIBRATION_MILLIS);
        return new SpeculativeGenerator("auto", target, tokenizer, new RouterDrafter(options, cost), maxDepth);
    }

    private static Generator headsGenerator(String method, Transformer target, Tokenizer tokenizer, MethodOptions o) {
        if (o.heads() == null) {
            throw new TandemException("--method " + method + " needs --heads PATH (train them with ./tandem train-heads --kind "
                    + method + ")");
        }
        Heads heads = HeadsFile.load(o.heads(), target.config());
        if (!heads.kind().id().equals(method)) {
            throw new TandemException("heads file " + o.heads() + " holds " + heads.kind().id() + " heads, not " + method);
        }
        double gate = o.gateEntropy() >= 0 ? o.gateEntropy() : method.equals("cerberus") ? DEFAULT_GATE_ENTROPY : 0;
        int budget = o.treeBudget() > 0 ? o.treeBudget() : HEADS_TREE_BUDGET;
        int depth = Math.min(heads.count(), o.draftLength() > 0 ? o.draftLength() : heads.count());
        return new SpeculativeGenerator(method, target, tokenizer,
                new HeadsDrafter(heads, target.model().weights().classifier(), target.model().weights().tokenEmbedding(),
                        target.backend(), o.branching(), budget, gate), depth);
    }

    /** Fails early, before a model is loaded, for a name no build knows. */
    public static void check(String method) {
        if (NOT_YET.contains(method)) {
            throw new TandemException("method '" + method + "' is not implemented yet; available: " + String.join(", ", AVAILABLE));
        }
        if (!AVAILABLE.contains(method)) {
            throw new TandemException("unknown method '" + method + "'; available: " + String.join(", ", AVAILABLE));
        }
    }

    private static int length(MethodOptions o, int def) {
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
    static List<Transformer> draftModels(Transformer target, MethodOptions o) {
        List<Transformer> out = new ArrayList<>();
        int batch = target.cache().maxBatch();
        for (Model m : o.draftModels()) {
            if (m.config().vocabSize() != target.config().vocabSize()) {
                throw new TandemException("draft model " + m.path() + " has a vocabulary of " + m.config().vocabSize()
                        + " tokens but the target's has " + target.config().vocabSize() + "; they must share the tokenizer");
            }
            out.add(new Transformer(m, target.backend(), batch));
        }
        for (int k : selfDraftLayers(target, o)) {
            if (k < 1 || k >= target.config().layers()) {
                throw new TandemException("--draft-layers " + k + " must be between 1 and " + (target.config().layers() - 1)
                        + " (the target has " + target.config().layers() + " layers)");
            }
            out.add(new Transformer(target.model(), target.backend(), batch, k));
        }
        return out;
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

    static List<String> draftNames(Transformer target, MethodOptions o) {
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

package dev.tandem.options;

import dev.tandem.core.TandemException;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.Methods;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import dev.tandem.decoding.methods.DecodingMethod;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The decoding method and every method's settings, declared once for {@code generate}, {@code chat} and
 * {@code serve} (where the method is the default of requests that name none), and {@code bench methods}.
 */
public final class MethodFlags {
    @Option(names = "--method", paramLabel = "NAME", defaultValue = "ar", completionCandidates = MethodNames.class,
            description = "Decoding method: ${COMPLETION-CANDIDATES}; for serve, the method of requests that name none "
                    + "(default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--draft-model", paramLabel = "PATH", description = "draft/csd: a separate draft model (same tokenizer); repeat for a cascade, largest first.")
    List<Path> draftModels = new ArrayList<>();

    @Option(names = "--draft-layers", paramLabel = "K[,K...]", split = ",",
            description = "draft/csd: self-drafts made of the target's first K layers, largest first (default: "
                    + "3/4 of the target's layers when no --draft-model is given).")
    List<Integer> draftLayers = new ArrayList<>();

    @Option(names = "--draft-length", paramLabel = "N", description = "Most draft tokens per step (defaults: lookup 8, draft 4, csd 12).")
    Integer draftLength;

    @Option(names = "--tree-budget", paramLabel = "N", defaultValue = "0",
            description = "draft: 0 = a chain, else a top-k draft tree of at most N nodes grown by cumulative probability; "
                    + "medusa/cerberus: a static tree of N nodes (0 = sized per step, up to 6 nodes, from the heads' confidence and the "
                    + "measured cost of rows); auto: the most nodes of the heads' per-step sized tree (0 = 6) "
                    + "(default: ${DEFAULT-VALUE}).")
    int treeBudget;

    @Option(names = "--branching", paramLabel = "K", defaultValue = "3", description = "draft tree: candidates per position (default: ${DEFAULT-VALUE}).")
    int branching;

    @Option(names = "--max-ngram", paramLabel = "N", defaultValue = "3", description = "lookup: longest n-gram matched (default: ${DEFAULT-VALUE}).")
    int maxNgram;

    @Option(names = "--lookup-candidates", paramLabel = "N", defaultValue = "1",
            description = "lookup: matches merged into a draft tree, 1 = a chain (default: ${DEFAULT-VALUE}).")
    int lookupCandidates;

    @Option(names = "--k-matrix", paramLabel = "ROWS", description = "csd: CS Drafting's k-matrix, rows separated by ';', e.g. \"2,4;0,10\".")
    String kMatrix;

    @Option(names = "--lenience", paramLabel = "L", defaultValue = "1",
            description = "csd: 1 = lossless (default); > 1 accepts draft tokens with p(x) > q(x)/L (lossy).")
    double lenience;

    @Option(names = "--heads", paramLabel = "PATH", description = "medusa/cerberus/hidden-transfer: heads file from ./tandem train-heads.")
    Path heads;

    @Option(names = "--gate-entropy", paramLabel = "NATS", defaultValue = "-1",
            description = "medusa/cerberus: draft only when the target's next-token entropy is below this; 0 = off "
                    + "(default: 1.0 for cerberus with a static --tree-budget, else off).")
    double gateEntropy;

    @Option(names = "--ngram-table", paramLabel = "PATH", description = "ngram/auto: n-gram table of the model's own text from ./tandem train-ngram.")
    Path ngramTable;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /**
     * Fails before any model is loaded for a method no build knows, a draft length below 1, or, where
     * {@code oneMethod} (generate, chat), a flag the method would ignore. serve's flags are the defaults of
     * requests that may name any method, so there every flag applies to some request.
     */
    public void check(boolean oneMethod) {
        DecodingMethod m = Methods.method(method);
        if (draftLength != null && draftLength < 1) {
            throw new TandemException("--draft-length must be >= 1, got " + draftLength);
        }
        if (!oneMethod) {
            return;
        }
        for (MethodOptions.Setting s : given()) {
            if (!m.settings().contains(s)) {
                List<String> flags = m.settings().stream().map(MethodOptions.Setting::flag).filter(f -> f != null).sorted().toList();
                throw new TandemException(s.flag() + " does not apply to --method " + method + " ("
                        + (flags.isEmpty() ? "it takes no method flags" : "its flags: " + String.join(", ", flags)) + ")");
            }
        }
    }

    /** The method's name, as --method gives it. */
    public String method() {
        return method;
    }

    /** Whether --method was given on the command line (not left at its default). */
    public boolean methodGiven() {
        return command.commandLine().getParseResult().hasMatchedOption("--method");
    }

    /** The method settings given on the command line, as they were written: "--draft-layers 6 --tree-budget 16". */
    public String givenSettings() {
        CommandLine.ParseResult parsed = command.commandLine().getParseResult();
        return String.join(" ", given().stream()
                .map(s -> s.flag() + " " + String.join(",", parsed.matchedOption(s.flag()).stringValues())).toList());
    }

    /** The settings whose flags were given on the command line, in declaration order. */
    private List<MethodOptions.Setting> given() {
        CommandLine.ParseResult parsed = command.commandLine().getParseResult();
        return java.util.Arrays.stream(MethodOptions.Setting.values())
                .filter(s -> s.flag() != null && parsed.hasMatchedOption(s.flag())).toList();
    }

    /** The --draft-model files, loaded; the caller closes them. */
    public List<Model> loadDraftModels() {
        List<Model> drafts = new ArrayList<>();
        try {
            for (Path p : draftModels) {
                drafts.add(ModelLoader.load(p));
            }
        } catch (RuntimeException e) {
            drafts.forEach(Model::close);
            throw e;
        }
        return drafts;
    }

    public MethodOptions options(List<Model> drafts) {
        return MethodOptions.builder().draftLength(draftLength == null ? 0 : draftLength).maxNgram(maxNgram)
                .lookupCandidates(lookupCandidates).draftModels(drafts).draftLayers(draftLayers).treeBudget(treeBudget)
                .branching(branching).kMatrix(kMatrix).lenience(lenience).heads(heads).gateEntropy(gateEntropy).ngramTable(ngramTable).build();
    }
}

package dev.tandem.bench;

import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The options of {@code bench compare}, declared for picocli: a misspelled flag, an unknown suite or
 * benchmark name, or a bad number is an error naming it, never a silent default.
 */
final class CompareOptions {
    static final List<String> IDS = List.of("ar", "ar-1b", "verify-cost", "matmul", "methods", "drafting");

    enum Suite { quick, full }

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Parameters(index = "0..1", arity = "1..2", paramLabel = "COMMIT", description = "BASE, then optionally HEAD (commits, branches or tags; "
            + "without HEAD: the working tree, uncommitted changes included).")
    List<String> commits;

    @Option(names = "--suite", paramLabel = "quick|full", description = "Which benchmarks (default: ${DEFAULT-VALUE}).")
    Suite suite = Suite.quick;

    @Option(names = "--rounds", paramLabel = "N", description = "Rounds per benchmark, alternating BASE and HEAD (default: ${DEFAULT-VALUE}).")
    int rounds = 5;

    @Option(names = "--only", split = ",", paramLabel = "ID[,ID...]",
            description = "Only these benchmarks, from either suite: ar, ar-1b, verify-cost, matmul, methods, drafting.")
    List<String> only;

    @Option(names = "--keep", description = "Keep the worktrees under bench/target/compare/.")
    boolean keep;

    /** Checks what picocli's types cannot; call before use. */
    CompareOptions validated() {
        for (String c : commits) {
            if (c.startsWith("-")) { // picocli takes an unknown --flag for a positional COMMIT; say what it is
                throw new ParameterException(spec.commandLine(), "unknown option '" + c + "'");
            }
        }
        if (rounds < 1) {
            throw new ParameterException(spec.commandLine(), "--rounds must be at least 1, got " + rounds);
        }
        if (only != null) {
            for (String id : only) {
                if (!IDS.contains(id)) {
                    throw new ParameterException(spec.commandLine(), "--only: unknown benchmark '" + id + "'; known: " + String.join(", ", IDS));
                }
            }
        }
        return this;
    }

    String base() {
        return commits.get(0);
    }

    /** Null: the working tree. */
    String head() {
        return commits.size() > 1 ? commits.get(1) : null;
    }

    String suite() {
        return suite.name();
    }

    int rounds() {
        return rounds;
    }

    boolean keep() {
        return keep;
    }

    /** Null: every benchmark of the suite. */
    List<String> only() {
        return only;
    }
}

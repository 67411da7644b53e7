package dev.tandem.bench;

import dev.tandem.core.TandemException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the end-to-end harness ({@code ./tandem bench NAME [options]}), on picocli: every
 * benchmark declares its options, {@code --help} prints them, and a misspelled flag is an error rather than
 * a silent default. A benchmark's {@link TandemException} (a bad file, a setting that does not fit) is one
 * line and exit code 1.
 */
@Command(name = "tandem bench", mixinStandardHelpOptions = true, synopsisSubcommandLabel = "NAME",
        description = "End-to-end benchmarks: each runs in this JVM and prints Markdown tables with the machine named.",
        subcommands = {Compare.class, ArThroughput.class, MethodTable.class, VerifyCost.class, LoadBench.class, Soak.class, MatmulBandwidth.class,
            TokenizerThroughput.class, DecodeForks.class, PrefillStall.class, dev.tandem.bench.fuzz.Fuzz.class, Report.class, CudaCheck.class, TokenizerConformanceSpeed.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with its subcommands and how errors end. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.getSubcommands().get("compare").setUnmatchedOptionsArePositionalParams(true);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof TandemException || e instanceof IllegalArgumentException) {
                cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
                return e instanceof TandemException ? 1 : 2;
            }
            throw e;
        });
        return cl;
    }

    /**
     * Parses {@code args} into {@code command}'s options and runs it in this JVM, errors propagating: how one
     * benchmark runs another (the report runs the others).
     */
    static void run(Callable<Integer> command, String... args) throws Exception {
        new CommandLine(command).parseArgs(args);
        command.call();
    }
}

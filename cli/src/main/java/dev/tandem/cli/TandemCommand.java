package dev.tandem.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A subcommand that writes to the command line's streams (tests give their own through {@link Main#run}):
 * {@link #stdout} and {@link #stderr} are picocli's, taken when the command runs.
 */
abstract class TandemCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    PrintWriter stdout;
    PrintWriter stderr;

    @Override
    public final Integer call() throws Exception {
        stdout = spec.commandLine().getOut();
        stderr = spec.commandLine().getErr();
        return run();
    }

    /** The command's work; its exit code. */
    abstract Integer run() throws Exception;
}

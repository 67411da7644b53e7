package dev.tandem.bench;

import dev.tandem.core.TandemException;
import java.util.Arrays;
import java.util.List;

/** Entry point of the end-to-end harness ({@code ./tandem bench NAME [options]}). */
public final class Main {
    private Main() {}

    /** Each benchmark's synopsis: its help, and the options it accepts (anything else is refused). */
    private static final List<String> USAGES = List.of(
            "tandem bench compare BASE [HEAD] [--suite quick|full] [--rounds 5] [--only ar,ar-1b,verify-cost,matmul,methods] [--keep]",
            "tandem bench decode-forks [--forks 5] [--threads 1]",
            "tandem bench ar [--model PATH] [--tokenizer PATH] [--threads 1,2] [--tokens 255] [--runs 21] [--warmup-seconds 5]",
            "tandem bench methods [--model PATH] [--methods ar,lookup,draft,csd,medusa,cerberus] [--heads-dir DIR] [--threads 2] "
                    + "[--png docs/methods.png] [--report-dir DIR] [--tokens 300] [--rounds 5] [--warmup-seconds 5] [--temperatures 0,0.8] "
                    + "[--exclude \"tree of 63,...\"]",
            "tandem bench verify-cost [--model PATH] [--threads 1,2] [--context 128] [--ks 1,2,4,8,16] [--reps N] [--report-dir DIR]",
            "tandem bench load [--model PATH] [--tokenizer PATH] [--clients 1,8,32] [--max-tokens 128] [--batching on,off] [--method ar] "
                    + "[--threads 2] [--rounds 3] [--requests N] [--lanes N] [--batch-wait-us N] [--deadline-seconds N] [--warmup-seconds N] "
                    + "[--report-dir DIR] [--report-name NAME]",
            "tandem bench matmul [--threads 2] [--mib 2048] [--rows 1] [--dtypes F32,F16,BF16,Q8_0,Q4_0] [--jmh-iterations N] [--jmh-seconds N]",
            "tandem bench tokenize [--tokenizer PATH] [--lengths 1000,10000,100000,1000000] [--seconds 2]",
            "tandem bench fuzz [--cases 2000] [--http-cases 1000] [--seed 1]",
            "tandem bench synthetic-model [--out FILE] [--dim 1024] [--layers 8] [--hidden 2816] [--heads 16]",
            "tandem bench report [--out docs/report] [--rounds 3] [--heads-dir DIR] [--only decode,verify-cost,methods,load] [--llama2c PATH] [--model PATH]");

    public static void main(String[] args) throws Exception {
        String which = args.length == 0 ? "help" : args[0];
        String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        String usage = usage(which);
        if (usage == null) {
            System.err.println("usage: " + String.join("\n       ", USAGES));
            System.exit(which.equals("help") || which.equals("--help") || which.equals("-h") ? 0 : 2);
        }
        if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
            System.out.println("usage: " + usage);
            return;
        }
        String unknown = unknownOption(usage, rest);
        if (unknown != null) {
            System.err.println("tandem bench " + which + ": unknown option " + unknown + "\nusage: " + usage);
            System.exit(2);
        }
        try {
            run(which, rest);
        } catch (TandemException e) {
            System.err.println("tandem bench " + which + ": " + e.getMessage());
            System.exit(1);
        }
    }

    /** The synopsis of benchmark {@code which}, or null when there is none of that name. */
    static String usage(String which) {
        return USAGES.stream().filter(u -> u.startsWith("tandem bench " + which + " ")).findFirst().orElse(null);
    }

    /** The first {@code --option} in {@code args} that the synopsis does not list, or null. */
    static String unknownOption(String usage, String[] args) {
        for (String a : args) {
            if (a.startsWith("--") && !usage.contains("[" + a + " ") && !usage.contains("[" + a + "]")) {
                return a;
            }
        }
        return null;
    }

    private static void run(String which, String[] rest) throws Exception {
        switch (which) {
            case "ar" -> ArThroughput.main(rest);
            case "methods" -> MethodTable.main(rest);
            case "verify-cost" -> VerifyCost.main(rest);
            case "matmul" -> MatmulBandwidth.main(rest);
            case "tokenize" -> TokenizerThroughput.main(rest);
            case "synthetic-model" -> SyntheticModel.main(rest);
            case "decode-forks" -> DecodeForks.main(rest);
            case "fuzz" -> dev.tandem.bench.fuzz.Fuzz.main(rest);
            case "compare" -> {
                try {
                    Compare.main(rest);
                } catch (IllegalArgumentException e) {
                    System.err.println("tandem bench compare: " + e.getMessage());
                    System.exit(2);
                }
            }
            case "load" -> LoadBench.main(rest);
            case "report" -> Report.main(rest);
            default -> throw new IllegalStateException("no runner for " + which);
        }
    }
}

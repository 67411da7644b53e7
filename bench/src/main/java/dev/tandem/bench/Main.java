package dev.tandem.bench;

import java.util.Arrays;

/** Entry point of the end-to-end harness ({@code ./tandem bench NAME [options]}). */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        String which = args.length == 0 ? "help" : args[0];
        String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        switch (which) {
            case "ar" -> ArThroughput.main(rest);
            case "methods" -> MethodTable.main(rest);
            case "verify-cost" -> VerifyCost.main(rest);
            case "matmul" -> MatmulBandwidth.main(rest);
            case "tokenize" -> TokenizerThroughput.main(rest);
            case "synthetic-model" -> SyntheticModel.main(rest);
            case "decode-forks" -> DecodeForks.main(rest);
            case "compare" -> {
                try {
                    Compare.main(rest);
                } catch (IllegalArgumentException e) {
                    System.err.println("tandem bench compare: " + e.getMessage());
                    System.exit(2);
                }
            }
            case "load", "report" -> {
                try {
                    if (which.equals("load")) {
                        LoadBench.main(rest);
                    } else {
                        Report.main(rest);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            default -> {
                System.err.println("usage: tandem bench compare BASE [HEAD] [--suite quick|full] [--rounds 5] [--only ar,ar-1b,verify-cost,matmul,methods] [--keep]\n"
                        + "       tandem bench decode-forks [--forks 5] [--threads 1]\n"
                        + "       tandem bench ar [--model PATH] [--threads 1,2] [--tokens 255] [--runs 21] [--warmup-seconds 5]\n"
                        + "       tandem bench methods [--model PATH] [--methods ar,lookup,draft,csd,medusa,cerberus] [--heads-dir DIR] [--threads 2] [--png docs/methods.png] [--report-dir DIR] [--tokens 300] [--rounds 5] [--warmup-seconds 5] [--temperatures 0,0.8] [--exclude \"tree of 63,...\"]\n"
                        + "       tandem bench verify-cost [--model PATH] [--threads 1,2] [--context 128] [--report-dir DIR]\n"
                        + "       tandem bench load [--model PATH] [--clients 1,8,32] [--max-tokens 128] [--batching on,off] [--method ar] [--threads 2] [--rounds 3] [--report-dir DIR]\n"
                        + "       tandem bench matmul [--threads 2] [--mib 2048] [--rows 1] [--dtypes F32,F16,BF16,Q8_0,Q4_0]\n"
                        + "       tandem bench tokenize [--lengths 1000,4000,16000,64000] [--baseline-max 16000] [--seconds 2]\n"
                        + "       tandem bench synthetic-model [--out FILE] [--dim 1024] [--layers 8] [--hidden 2816] [--heads 16]\n"
                        + "       tandem bench report [--out docs/report] [--rounds 3] [--heads-dir DIR] [--only decode,verify-cost,methods,load] [--llama2c PATH]");
                System.exit(which.equals("help") ? 0 : 2);
            }
        }
    }
}

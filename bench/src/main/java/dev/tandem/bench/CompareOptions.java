package dev.tandem.bench;

import java.util.ArrayList;
import java.util.List;

/** Arguments of {@code bench compare}; an unknown or malformed flag is an error, never a silent default. */
record CompareOptions(String base, String head, String suite, int rounds, boolean keep, List<String> only) {
    static final List<String> IDS = List.of("ar", "ar-1b", "verify-cost", "matmul", "methods");
    static final String USAGE = "usage: tandem bench compare BASE [HEAD] [--suite quick|full] [--rounds N] [--only "
            + String.join(",", IDS) + "] [--keep]";

    static CompareOptions parse(String[] args) {
        List<String> positional = new ArrayList<>();
        String suite = "quick";
        int rounds = 5;
        boolean keep = false;
        List<String> only = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--suite" -> {
                    suite = value(args, ++i, a);
                    if (!suite.equals("quick") && !suite.equals("full")) {
                        throw new IllegalArgumentException("--suite must be quick or full, got '" + suite + "'\n" + USAGE);
                    }
                }
                case "--rounds" -> {
                    try {
                        rounds = Integer.parseInt(value(args, ++i, a));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--rounds takes a whole number\n" + USAGE);
                    }
                    if (rounds < 1) {
                        throw new IllegalArgumentException("--rounds must be at least 1\n" + USAGE);
                    }
                }
                case "--keep" -> keep = true;
                case "--only" -> {
                    only = List.of(value(args, ++i, a).split(","));
                    for (String id : only) {
                        if (!IDS.contains(id)) {
                            throw new IllegalArgumentException("--only: unknown benchmark '" + id + "'\n" + USAGE);
                        }
                    }
                }
                default -> {
                    if (a.startsWith("-")) {
                        throw new IllegalArgumentException("unknown option '" + a + "'\n" + USAGE);
                    }
                    positional.add(a);
                }
            }
        }
        if (positional.isEmpty() || positional.size() > 2) {
            throw new IllegalArgumentException("give BASE and optionally HEAD (commits, branches or tags)\n" + USAGE);
        }
        return new CompareOptions(positional.get(0), positional.size() > 1 ? positional.get(1) : null, suite, rounds, keep, only);
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value\n" + USAGE);
        }
        return args[i];
    }
}

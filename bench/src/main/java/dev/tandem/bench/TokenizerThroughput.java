package dev.tandem.bench;

import dev.tandem.models.Llama2cTokenizer;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.tokenizer.ByteLevelBpe;
import dev.tandem.models.tokenizer.ByteLevelVocabulary;
import dev.tandem.models.tokenizer.PreTokenizer;
import dev.tandem.models.tokenizer.SentencePieceBpe;
import dev.tandem.models.tokenizer.SpecialTokens;
import dev.tandem.models.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Encoding speed and how it scales: llama2.c's tokenizer, the SentencePiece BPE on the same vocabulary
 * (same tokens, checked) and byte-level BPE with merges learned from the same text, all merging with a
 * queue, so time per KB should stay flat from 1 KB to 1 MB. Texts are the golden stories repeated to each
 * length, plus one run of spaces (one repeated piece: the worst case of the rescan-per-merge loop).
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true, description = "Tokenizer encoding time from 1 KB to 1 MB of text.")
public final class TokenizerThroughput implements Callable<Integer> {
    @Option(names = "--tokenizer", paramLabel = "PATH", description = "llama2.c tokenizer (default: tok512.bin beside stories260K).")
    Path tok = BenchPaths.defaultModel().resolveSibling("tok512.bin");

    @Option(names = "--lengths", split = ",", paramLabel = "N[,N...]", description = "Text lengths in characters (default: 1000,10000,100000,1000000).")
    int[] lengths = {1000, 10_000, 100_000, 1_000_000};

    @Option(names = "--seconds", paramLabel = "S", description = "Warm-up, then measurement, per cell (default: ${DEFAULT-VALUE}).")
    double seconds = 2;

    @Override
    public Integer call() {
        Path shared = BenchPaths.defaultModel().getParent().getParent().getParent();
        String corpus = corpus(shared.resolve("golden/stories260k"));
        Llama2cTokenizer llama2c = Llama2cTokenizer.load(tok, 0);
        SentencePieceBpe spm = SentencePieceBpe.fromLlama2c(llama2c);
        ByteLevelBpe byteLevel = learnByteLevel(corpus, 1000);

        System.out.printf(Locale.ROOT, "Encoding time, median of runs over %.0f s per cell after as long a warm-up; "
                + "ms, and in brackets µs per 1000 characters%n", seconds);
        System.out.println("| text | characters | llama2.c tokenizer | SentencePiece BPE | byte-level BPE (1000 merges) |");
        System.out.println("|---|---:|---:|---:|---:|");
        for (String kind : new String[] {"stories", "spaces"}) {
            for (int n : lengths) {
                String text = kind.equals("spaces") ? " ".repeat(n) : corpus.repeat(n / corpus.length() + 1).substring(0, n);
                if (!Arrays.equals(llama2c.encode(text, true, false), spm.encode(text, true, false))) {
                    throw new IllegalStateException("the two tokenizers disagree on a text of " + n + " characters");
                }
                System.out.printf(Locale.ROOT, "| %s | %d | %s | %s | %s |%n", kind, n, cell(llama2c, text, seconds),
                        cell(spm, text, seconds), cell(byteLevel, text, seconds));
            }
        }
        return 0;
    }

    private static String cell(Tokenizer t, String text, double seconds) {
        double ms = millis(t, text, seconds);
        return String.format(Locale.ROOT, "%.3f (%.0f)", ms, ms * 1000 / (text.length() / 1000.0));
    }

    /** Median milliseconds of one encode, after warming up for {@code seconds}. */
    private static double millis(Tokenizer t, String text, double seconds) {
        long warm = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < warm) {
            t.encode(text, true, false);
        }
        List<Double> runs = new ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end || runs.size() < 3) {
            long t0 = System.nanoTime();
            t.encode(text, true, false);
            runs.add((System.nanoTime() - t0) / 1e6);
        }
        runs.sort(null);
        return runs.get(runs.size() / 2);
    }

    private static String corpus(Path goldenDir) {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.list(goldenDir)) {
            for (Path p : files.sorted().toList()) {
                Object text = ((Map<?, ?>) Json.parse(Files.readAllBytes(p))).get("text");
                sb.append(text).append("\n\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sb.toString();
    }

    /** GPT-2-style byte-level BPE trained on {@code text}: the most frequent adjacent pair merges, {@code merges} times. */
    static ByteLevelBpe learnByteLevel(String text, int merges) {
        ByteLevelVocabulary layout = new ByteLevelVocabulary();
        Map<List<String>, Integer> words = new HashMap<>();
        for (String w : PreTokenizer.named("gpt2").split(text)) {
            List<String> sym = new ArrayList<>();
            for (byte b : w.getBytes(StandardCharsets.UTF_8)) {
                sym.add(layout.piece(b & 0xFF));
            }
            words.merge(sym, 1, Integer::sum);
        }
        for (int m = 0; m < merges; m++) {
            Map<ByteLevelBpe.Merge, Integer> counts = new LinkedHashMap<>();
            words.forEach((sym, c) -> {
                for (int i = 0; i + 1 < sym.size(); i++) {
                    counts.merge(new ByteLevelBpe.Merge(sym.get(i), sym.get(i + 1)), c, Integer::sum);
                }
            });
            ByteLevelBpe.Merge best = counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
            if (best == null) {
                break;
            }
            layout.merge(best);
            Map<List<String>, Integer> next = new HashMap<>();
            words.forEach((sym, c) -> {
                List<String> out = new ArrayList<>();
                for (int i = 0; i < sym.size(); i++) {
                    if (i + 1 < sym.size() && sym.get(i).equals(best.left()) && sym.get(i + 1).equals(best.right())) {
                        out.add(best.left() + best.right());
                        i++;
                    } else {
                        out.add(sym.get(i));
                    }
                }
                next.merge(out, c, Integer::sum);
            });
            words = next;
        }
        return new ByteLevelBpe(layout.vocabulary(), layout.merges(), new SpecialTokens(-1, -1, -1, -1, false, false),
                PreTokenizer.named("gpt2"), ByteLevelBpe.Options.DEFAULT, null);
    }
}

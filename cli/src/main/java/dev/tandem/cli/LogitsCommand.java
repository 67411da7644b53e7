package dev.tandem.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.tandem.core.Backend;
import dev.tandem.core.TandemException;
import dev.tandem.models.Batch;
import dev.tandem.models.ForwardResult;
import dev.tandem.models.Model;
import dev.tandem.models.Transformer;
import java.io.IOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "logits", mixinStandardHelpOptions = true,
        description = {"Logits after each of the given tokens, from one batched forward pass (chain mask)."})
final class LogitsCommand extends TandemCommand {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--tokens", required = true, split = ",", paramLabel = "ID,ID,...", description = "Token ids, e.g. 1,403,407.")
    int[] tokens;

    @Option(names = "--json", description = "Print {\"logits\":[[...],...]}, one row per position.")
    boolean json;

    @Option(names = "--top", paramLabel = "N", defaultValue = "5", description = "Without --json: how many top tokens to show per position (default: ${DEFAULT-VALUE}).")
    int top;

    @Override
    Integer run() throws IOException {
        if (tokens.length == 0) {
            throw new TandemException("--tokens needs at least one token id");
        }
        try (Model model = modelOptions.loadModel(); Backend backend = modelOptions.backend()) {
            int context = model.config().contextLength();
            if (tokens.length > context) {
                throw new TandemException(tokens.length + " tokens do not fit the context of " + context + " tokens");
            }
            Transformer t = new Transformer(model, backend, tokens.length);
            ForwardResult r = t.forward(Batch.chain(tokens));
            if (json) {
                JsonGenerator g = new JsonFactory().createGenerator(stdout);
                g.writeStartObject();
                g.writeArrayFieldStart("logits");
                for (int row = 0; row < tokens.length; row++) {
                    g.writeStartArray();
                    for (float v : r.logits(row)) {
                        g.writeNumber(v);
                    }
                    g.writeEndArray();
                }
                g.writeEndArray();
                g.writeEndObject();
                g.flush();
                stdout.println();
            } else {
                for (int row = 0; row < tokens.length; row++) {
                    stdout.println("position " + row + " (token " + tokens[row] + "): " + topTokens(r.logits(row), top));
                }
            }
        }
        return 0;
    }

    private static String topTokens(float[] logits, int n) {
        Integer[] idx = new Integer[logits.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (a, b) -> Float.compare(logits[b], logits[a]));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(n, idx.length); i++) {
            sb.append(i == 0 ? "" : ", ").append(idx[i]).append('=').append(String.format("%.4f", logits[idx[i]]));
        }
        return sb.toString();
    }
}

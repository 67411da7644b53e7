package dev.tandem.cli;

import dev.tandem.options.MethodFlags;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.Backend;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.GenerationResult;
import dev.tandem.decoding.GenerationStats;
import dev.tandem.decoding.Generator;
import dev.tandem.decoding.Methods;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import dev.tandem.models.Model;
import dev.tandem.models.TextStream;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Continue a prompt. Streams text to stdout and a summary to stderr, or prints one JSON object with --json."})
final class GenerateCommand extends TandemCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "PROMPT", defaultValue = "", description = "Prompt text (default: empty).")
    String prompt;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    GenerationOptions generation;

    @Mixin
    MethodFlags methodFlags;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop when the text contains TEXT (repeatable); TEXT is not printed.")
    List<String> stops = new ArrayList<>();

    @Option(names = "--json", description = "Print one JSON object with tokens, text and stats instead of streaming.")
    boolean json;

    @Override
    Integer run() {
        methodFlags.check(true);
        generation.check();
        SamplingParams params = generation.params(generation.seedOrClock());
        try (Model model = modelOptions.loadModel(); Backend backend = modelOptions.backend()) {
            Tokenizer tokenizer = modelOptions.loadTokenizer(model);
            int[] promptTokens = tokenizer.encode(prompt, true, false);
            int context = model.config().contextLength();
            int maxNew = generation.maxNewTokens(context - promptTokens.length);
            GenerationRequest request = new GenerationRequest(promptTokens, maxNew, params, stops);
            request.checkFits(context);
            List<Model> drafts = methodFlags.loadDraftModels();
            try {
                Generator generator = Methods.create(methodFlags.method(), new Transformer(model, backend), tokenizer,
                        methodFlags.options(drafts));
                run(generator, tokenizer, promptTokens, request, backend.name());
            } finally {
                drafts.forEach(Model::close);
            }
        }
        return 0;
    }

    private void run(Generator generator, Tokenizer tokenizer, int[] promptTokens, GenerationRequest request, String backendName) {
        TokenStream stream = TokenStream.NONE;
        if (!json) {
            boolean bos = promptTokens[0] == tokenizer.bos(); // tokenizers whose model adds no BOS (Qwen2) leave it out
            stdout.print(TextStream.decodeAll(tokenizer, bos ? tokenizer.bos() : -1, bos ? tail(promptTokens) : promptTokens));
            stdout.flush();
            stream = text -> {
                stdout.print(text);
                stdout.flush();
            };
        }
        GenerationResult result = generator.generate(request, stream);
        if (json) {
            stdout.println(toJson(result, generator.method(), backendName));
            return;
        }
        stdout.println();
        GenerationStats s = result.stats();
        stderr.printf("[%s] %d tokens in %.3f s, %.1f tokens/s, %d target forwards, mean accepted length %.2f%s (%s, seed %d)%n",
                generator.method(), s.tokens(), s.seconds(), s.tokensPerSecond(), s.targetForwards(),
                s.meanAcceptedLength(), s.lossless() ? "" : ", LOSSY", result.stopReason().name().toLowerCase(), s.seed());
    }

    private static int[] tail(int[] promptTokens) {
        return java.util.Arrays.copyOfRange(promptTokens, 1, promptTokens.length);
    }

    static String toJson(GenerationResult r, String method, String backendName) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        ArrayNode prompt = root.putArray("prompt_tokens");
        for (int t : r.promptTokens()) {
            prompt.add(t);
        }
        ArrayNode tokens = root.putArray("tokens");
        for (int t : r.tokens()) {
            tokens.add(t);
        }
        root.put("text", r.text());
        root.put("method", method);
        root.put("stop_reason", r.stopReason().name().toLowerCase());
        GenerationStats s = r.stats();
        ObjectNode stats = root.putObject("stats");
        stats.put("tokens", s.tokens());
        stats.put("target_forwards", s.targetForwards());
        stats.put("mean_accepted_length", s.meanAcceptedLength());
        stats.put("rows_per_step", s.rowsPerStep());
        stats.put("seconds", s.seconds());
        stats.put("prompt_seconds", s.promptSeconds());
        stats.put("tokens_per_second", s.tokensPerSecond());
        stats.put("seed", s.seed());
        stats.put("lossless", s.lossless());
        stats.put("backend", backendName); // names the vector width the kernels run at: figures depend on it
        ObjectNode events = stats.putObject("events");
        s.events().forEach(events::put);
        ObjectNode drafts = stats.putObject("draft_forwards");
        s.draftForwards().forEach(drafts::put);
        ArrayNode acceptance = stats.putArray("acceptance_by_position");
        for (double a : s.acceptanceByPosition()) {
            acceptance.add(a);
        }
        return root.toString();
    }
}

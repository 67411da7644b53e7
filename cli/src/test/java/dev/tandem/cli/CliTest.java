package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI contract and its answers to bad input: one line, non-zero exit, no stack trace. */
class CliTest {
    static final Path SHARED = Path.of(System.getProperty("tandem.shared", "../shared")).toAbsolutePath().normalize();
    static final Path MODEL = SHARED.resolve("models/stories260k/stories260K.bin");
    static final Path TOKENIZER = SHARED.resolve("models/stories260k/tok512.bin");

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A failed run: non-zero exit, an "error:" line naming the problem, no stack trace. */
    static void assertCleanError(Run r, String mustMention) {
        assertNotEquals(0, r.code(), "exit code");
        String[] lines = r.err().strip().split("\n");
        assertTrue(lines[0].startsWith("error: "), "first line is the error: " + r.err());
        assertTrue(lines[0].contains(mustMention), "'" + lines[0] + "' mentions '" + mustMention + "'");
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "no stack trace: " + r.err());
    }

    @Test
    void generateJsonFollowsContractAndIsGreedyByDefault() throws IOException {
        Run r = run("generate", "Once upon a time, there was a little girl named Lily.", "--model", MODEL.toString(),
                "--max-new-tokens", "20", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        JsonNode golden = new ObjectMapper().readTree(SHARED.resolve("golden/stories260k/lily.json").toFile());
        assertEquals(golden.get("prompt_tokens"), j.get("prompt_tokens"));
        for (int i = 0; i < 20; i++) {
            assertEquals(golden.get("generated_tokens").get(i).asInt(), j.get("tokens").get(i).asInt(), "token " + i);
        }
        JsonNode s = j.get("stats");
        assertEquals(20, s.get("tokens").asInt());
        assertEquals(20, s.get("target_forwards").asInt());
        assertEquals(1.0, s.get("mean_accepted_length").asDouble(), 1e-9);
        assertEquals(1.0, s.get("rows_per_step").asDouble(), 1e-9); // plain decoding verifies one row a step
        assertTrue(s.get("seconds").asDouble() > 0);
        assertTrue(s.get("tokens_per_second").asDouble() > 0);
        assertTrue(j.get("text").asText().startsWith(" She loved to play"), j.get("text").asText());
    }

    @Test
    void generateStreamsTextToStdoutAndSummaryToStderr() {
        Run r = run("generate", "Tom and his dog went to the park", "--model", MODEL.toString(), "--max-new-tokens", "10");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Tom and his dog went to the park. They saw"), r.out());
        assertTrue(r.err().contains("10 tokens") && r.err().contains("tokens/s"), r.err());
    }

    @Test
    void seededSamplingIsReproducible() {
        String[] args = {"generate", "The sun", "--model", MODEL.toString(), "--max-new-tokens", "30",
                "--temperature", "0.9", "--top-p", "0.9", "--seed", "123", "--json"};
        Run a = run(args);
        Run b = run(args);
        assertEquals(0, a.code(), a.err());
        assertEquals(tokens(a), tokens(b));
    }

    private static JsonNode tokens(Run r) {
        try {
            return new ObjectMapper().readTree(r.out()).get("tokens");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void logitsJsonMatchesReference() throws IOException {
        Run r = run("logits", "--model", MODEL.toString(), "--tokens", "1,403,407", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode logits = new ObjectMapper().readTree(r.out()).get("logits");
        assertEquals(3, logits.size());
        assertEquals(512, logits.get(0).size());
    }

    @Test
    void helpIsEverywhere() {
        for (String[] args : new String[][] {{"--help"}, {"generate", "--help"}, {"logits", "--help"}, {"train-heads", "--help"}}) {
            Run r = run(args);
            assertEquals(0, r.code());
            assertTrue(r.out().contains("Usage:"), String.join(" ", args));
        }
    }

    @Test
    void sharedOptionsKeepEachCommandsOwnDefault() {
        // --tokens and --seed are declared once for the train commands (CorpusOptions), each constructing it with its
        // own corpus size; --batch-wait-us and --prefill-chunk once for serve and bench load (BatchFlags)
        assertEquals(200_000, defaultOf("train-heads", "--tokens", "--kind", "medusa", "--out", "h"));
        assertEquals(1L, defaultOf("train-heads", "--seed", "--kind", "medusa", "--out", "h"));
        assertEquals(1_000_000, defaultOf("train-ngram", "--tokens", "--out", "t"));
        assertEquals(1L, defaultOf("train-ngram", "--seed", "--out", "t"));
        assertEquals(2000L, defaultOf("serve", "--batch-wait-us"));
        assertEquals(16, defaultOf("serve", "--prefill-chunk"));
    }

    /** {@code option}'s value when {@code command} is given only {@code args}. */
    private static Object defaultOf(String command, String option, String... args) {
        String[] line = new String[args.length + 1];
        line[0] = command;
        System.arraycopy(args, 0, line, 1, args.length);
        return new picocli.CommandLine(new Main()).parseArgs(line).subcommand().commandSpec().findOption(option).getValue();
    }

    @Test
    void missingModelFile() {
        assertCleanError(run("generate", "hi", "--model", "/nonexistent/model.bin"), "not found");
    }

    @Test
    void truncatedModelFile(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("truncated.bin");
        byte[] all = Files.readAllBytes(MODEL);
        Files.write(bad, Arrays.copyOf(all, all.length / 2));
        assertCleanError(run("generate", "hi", "--model", bad.toString(), "--tokenizer", TOKENIZER.toString()), "truncated");
        Files.write(bad, Arrays.copyOf(all, 10));
        assertCleanError(run("generate", "hi", "--model", bad.toString(), "--tokenizer", TOKENIZER.toString()), "truncated");
    }

    @Test
    void wrongHeaderValues(@TempDir Path dir) throws IOException {
        byte[] all = Files.readAllBytes(MODEL);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(12, 7); // n_heads 7 does not divide dim 64
        Path bad = dir.resolve("heads.bin");
        Files.write(bad, all);
        assertCleanError(run("generate", "hi", "--model", bad.toString(), "--tokenizer", TOKENIZER.toString()), "n_heads");
        b.putInt(12, 8);
        b.putInt(0, -64); // negative dim
        Files.write(bad, all);
        assertCleanError(run("generate", "hi", "--model", bad.toString(), "--tokenizer", TOKENIZER.toString()), "dim");
        b.putInt(0, 64);
        b.putInt(4, 1 << 30); // hidden_dim that the file cannot hold
        Files.write(bad, all);
        assertCleanError(run("generate", "hi", "--model", bad.toString(), "--tokenizer", TOKENIZER.toString()), "bytes");
    }

    @Test
    void tokenizerWithAnotherVocabulary(@TempDir Path dir) throws IOException {
        byte[] tok = Files.readAllBytes(TOKENIZER);
        // keep the header and the first 100 tokens only
        ByteBuffer b = ByteBuffer.wrap(tok).order(ByteOrder.LITTLE_ENDIAN);
        b.position(4);
        for (int i = 0; i < 100; i++) {
            b.getFloat();
            int len = b.getInt();
            b.position(b.position() + len);
        }
        Path bad = dir.resolve("tok100.bin");
        Files.write(bad, Arrays.copyOf(tok, b.position()));
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--tokenizer", bad.toString()), "100 tokens");
    }

    @Test
    void maxNewTokensBeyondContext() {
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--max-new-tokens", "100000"), "context");
    }

    @Test
    void unknownMethod() {
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--method", "telepathy"), "unknown method 'telepathy'");
    }

    @Test
    void unknownOptionAndBadNumber() {
        assertCleanError(run("generate", "--frobnicate"), "frobnicate");
        assertCleanError(run("generate", "--max-new-tokens", "lots"), "lots");
    }

    @Test
    void badSamplingSettings() {
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--top-p", "2"), "top-p");
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--temperature", "-1"), "temperature");
    }

    @Test
    void tokenOutsideVocabularyAndTooManyTokens() {
        assertCleanError(run("logits", "--model", MODEL.toString(), "--tokens", "1,9999"), "9999");
        String many = String.join(",", java.util.Collections.nCopies(600, "1"));
        assertCleanError(run("logits", "--model", MODEL.toString(), "--tokens", many), "context");
    }

    @Test
    void tokenizePrintsTheGoldenPromptTokens() throws IOException {
        JsonNode golden = new ObjectMapper().readTree(SHARED.resolve("golden/stories260k/lily.json").toFile());
        String prompt = golden.get("prompt").asText();
        Run json = run("tokenize", "--model", MODEL.toString(), "--json", "--special", prompt);
        assertEquals(0, json.code(), json.err());
        assertEquals(golden.get("prompt_tokens"), new ObjectMapper().readTree(json.out()).get("ids"), "BOS and the prompt's ids");
        Run plain = run("tokenize", "--tokenizer", TOKENIZER.toString(), prompt);
        assertEquals(0, plain.code(), plain.err());
        StringBuilder withoutBos = new StringBuilder();
        for (int i = 1; i < golden.get("prompt_tokens").size(); i++) {
            withoutBos.append(i == 1 ? "" : " ").append(golden.get("prompt_tokens").get(i).asInt());
        }
        assertEquals(withoutBos.toString(), plain.out().strip(), "without --special: no BOS");
        assertCleanError(run("tokenize", "hi"), "--tokenizer");
    }

    @Test
    void cudaDeviceSaysItIsUnavailable() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.tandem.cuda.CudaAvailability.unavailableReason() != null,
                "a CUDA GPU is present here");
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--device", "cuda"), "CUDA");
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--device", "tpu"), "unknown device 'tpu'");
    }

    @Test
    void theEmulatedCudaDeviceGeneratesTheGoldenTokens() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.tandem.cuda.EmulatedDevice.unavailableReason() == null,
                () -> "no CUDA emulation: " + dev.tandem.cuda.EmulatedDevice.unavailableReason());
        Run r = run("generate", "Once upon a time, there was a little girl named Lily.", "--model", MODEL.toString(),
                "--max-new-tokens", "12", "--json", "--device", "cuda-emulated");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        JsonNode golden = new ObjectMapper().readTree(SHARED.resolve("golden/stories260k/lily.json").toFile());
        for (int i = 0; i < 12; i++) {
            assertEquals(golden.get("generated_tokens").get(i).asInt(), j.get("tokens").get(i).asInt(), "token " + i);
        }
    }

    @Test
    void draftingMethodsWorkAndReportTheirStats() throws IOException {
        Run ar = run("generate", "Once upon a time", "--model", MODEL.toString(), "--max-new-tokens", "40", "--json");
        JsonNode arTokens = new ObjectMapper().readTree(ar.out()).get("tokens");
        for (String[] extra : new String[][] {{"--method", "lookup"}, {"--method", "draft", "--draft-layers", "4"},
                {"--method", "draft", "--tree-budget", "12"}, {"--method", "csd"},
                {"--method", "csd", "--draft-layers", "4,2", "--k-matrix", "2,2,4;0,1,4;0,0,10"}, {"--method", "auto"}}) {
            String[] args = java.util.stream.Stream.concat(java.util.stream.Stream.of("generate", "Once upon a time",
                    "--model", MODEL.toString(), "--max-new-tokens", "40", "--json"), java.util.Arrays.stream(extra)).toArray(String[]::new);
            Run r = run(args);
            assertEquals(0, r.code(), String.join(" ", extra) + ": " + r.err());
            JsonNode j = new ObjectMapper().readTree(r.out());
            assertEquals(arTokens, j.get("tokens"), String.join(" ", extra) + " is lossless at temperature 0");
            JsonNode s = j.get("stats");
            assertTrue(s.get("target_forwards").asInt() <= 40);
            assertTrue(s.get("lossless").asBoolean());
            assertTrue(s.has("acceptance_by_position") && s.has("draft_forwards"), s.toString());
            assertTrue(s.get("backend").asText().matches("cpu \\(\\d+ threads, (128|256|512)-bit vectors\\)"), s.toString());
        }
        Run lossy = run("generate", "Once upon a time", "--model", MODEL.toString(), "--max-new-tokens", "40", "--json",
                "--method", "csd", "--lenience", "3");
        assertEquals(0, lossy.code(), lossy.err());
        assertFalse(new ObjectMapper().readTree(lossy.out()).get("stats").get("lossless").asBoolean());
    }

    @Test
    void invalidDraftingSettings(@TempDir Path dir) {
        Path small = dir.resolve("vocab12.bin");
        dev.tandem.models.Llama2cWriter.writeRandom(small,
                new dev.tandem.models.LlamaConfig(16, 32, 2, 2, 1, 12, 64, 1e-5f, 10000f, true), 1, 0.5f);
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--method", "draft", "--draft-model", small.toString()),
                "vocabulary");
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--method", "draft", "--draft-length", "0"), "draft-length");
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--method", "lookup", "--draft-length", "100000"), "context");
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--method", "csd", "--lenience", "0.5"), "lenience");
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--method", "csd", "--k-matrix", "1,x"), "k-matrix");
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--method", "csd", "--k-matrix", "1,2,3;0,1,1;0,0,1"), "k-matrix");
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--method", "draft", "--draft-layers", "9"), "draft-layers");
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--method", "draft", "--tree-budget", "500"), "tree budget");
    }

    @Test
    void trainHeadsThenDecodeWithThem(@TempDir Path dir) throws IOException {
        Path heads = dir.resolve("cerberus.safetensors");
        Run train = run("train-heads", "--kind", "cerberus", "--model", MODEL.toString(), "--out", heads.toString(),
                "--tokens", "400", "--epochs", "1", "--heads", "2");
        assertEquals(0, train.code(), train.err());
        assertTrue(train.out().contains("wrote 2 cerberus heads"), train.out());
        assertTrue(train.err().contains("train  [") && train.err().contains("100%"), "progress bar: " + train.err());
        assertFalse(java.nio.file.Files.exists(dir.resolve("cerberus.safetensors.ckpt")), "checkpoint removed at the end");

        Run ar = run("generate", "Once upon a time", "--model", MODEL.toString(), "--max-new-tokens", "40", "--json");
        Run r = run("generate", "Once upon a time", "--model", MODEL.toString(), "--max-new-tokens", "40", "--json",
                "--method", "cerberus", "--heads", heads.toString(), "--gate-entropy", "2.5");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(new ObjectMapper().readTree(ar.out()).get("tokens"), j.get("tokens"));
        JsonNode events = j.get("stats").get("events");
        assertTrue(events.has("gate_parallel") && events.has("gate_ar"), j.get("stats").toString());

        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--method", "medusa", "--heads", heads.toString()),
                "holds cerberus heads");
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--method", "medusa"), "--heads");
        Path small = dir.resolve("vocab12.bin");
        dev.tandem.models.Llama2cWriter.writeRandom(small,
                new dev.tandem.models.LlamaConfig(16, 32, 2, 2, 1, 12, 64, 1e-5f, 10000f, true), 1, 0.5f);
        Path alien = dir.resolve("alien.safetensors");
        Run other = run("train-heads", "--kind", "medusa", "--model", small.toString(), "--tokenizer", TOKENIZER.toString(),
                "--out", alien.toString(), "--tokens", "200", "--epochs", "1");
        assertCleanError(other, "tokens but the model's vocabulary"); // the tokenizer check comes first
        Path corrupt = dir.resolve("corrupt.safetensors");
        java.nio.file.Files.writeString(corrupt, "garbage");
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--method", "cerberus", "--heads", corrupt.toString()),
                "corrupt");
        Path transfer = dir.resolve("hidden-transfer.safetensors");
        Run ht = run("train-heads", "--kind", "hidden-transfer", "--model", MODEL.toString(), "--out", transfer.toString(),
                "--tokens", "400", "--heads", "2");
        assertEquals(0, ht.code(), ht.err());
        Run htRun = run("generate", "Once upon a time", "--model", MODEL.toString(), "--max-new-tokens", "40", "--json",
                "--method", "hidden-transfer", "--heads", transfer.toString());
        assertEquals(0, htRun.code(), htRun.err());
        assertEquals(new ObjectMapper().readTree(ar.out()).get("tokens"), new ObjectMapper().readTree(htRun.out()).get("tokens"));
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--method", "hidden-transfer", "--heads", heads.toString()),
                "not a Tandem hidden-transfer file");
        assertCleanError(run("train-heads", "--kind", "hidden-transfer", "--model", MODEL.toString(), "--out", alien.toString(),
                "--layer", "9"), "--layer");
    }

    @Test
    void trainNgramThenDecodeWithIt(@TempDir Path dir) throws IOException {
        Path table = dir.resolve("stories.ngram");
        Run train = run("train-ngram", "--model", MODEL.toString(), "--out", table.toString(), "--tokens", "3000", "--order", "6");
        assertEquals(0, train.code(), train.err());
        assertTrue(train.out().contains("wrote an order-6 n-gram table"), train.out());
        assertTrue(train.err().contains("corpus [") && train.err().contains("100%"), "progress bar: " + train.err());
        assertFalse(Files.exists(dir.resolve("stories.ngram.partial")), "the partial file is renamed at the end");

        Run ar = run("generate", "Once upon a time", "--model", MODEL.toString(), "--max-new-tokens", "60", "--json");
        Run r = run("generate", "Once upon a time", "--model", MODEL.toString(), "--max-new-tokens", "60", "--json",
                "--method", "ngram", "--ngram-table", table.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(new ObjectMapper().readTree(ar.out()).get("tokens"), new ObjectMapper().readTree(r.out()).get("tokens"));

        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--method", "ngram"), "--ngram-table");
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--method", "lookup", "--ngram-table", table.toString()),
                "does not apply to --method lookup");
        Path junk = dir.resolve("junk.ngram");
        Files.writeString(junk, "not a table at all, only words");
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--method", "ngram", "--ngram-table", junk.toString()),
                "not an n-gram table");
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--method", "ngram", "--ngram-table",
                dir.resolve("missing.ngram").toString()), "not found");
        assertCleanError(run("train-ngram", "--model", MODEL.toString(), "--out", table.toString(), "--order", "40"), "--order");
        assertTrue(Files.size(table) > 32, "a refused run leaves the table it would have replaced");
    }

    @Test
    void foreignFile(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("notes.bin");
        Files.writeString(bad, "this is not a model at all, just some text that is long enough");
        assertCleanError(run("generate", "hi", "--model", bad.toString(), "--tokenizer", TOKENIZER.toString()), "model file");
    }

    @Test
    void aContextTooLargeForTheHeapIsOneLineAndCtxSizeCapsIt(@TempDir Path dir) throws IOException {
        byte[] gguf = Files.readAllBytes(SHARED.resolve("models/stories260k/stories260K-llamacpp.gguf"));
        byte[] key = "llama.context_length".getBytes(StandardCharsets.US_ASCII);
        int at = -1;
        for (int i = 8; i + key.length < gguf.length && at < 0; i++) {
            if (Arrays.equals(gguf, i, i + key.length, key, 0, key.length)) {
                at = i + key.length + 4; // past the key and its value type
            }
        }
        ByteBuffer.wrap(gguf, at, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(Integer.MAX_VALUE);
        Path huge = dir.resolve("huge-context.gguf");
        Files.write(huge, gguf);
        assertCleanError(run("generate", "Once", "--model", huge.toString()), "context_length " + Integer.MAX_VALUE);
        assertTrue(run("generate", "Once", "--model", huge.toString()).err().contains("--ctx-size"));
        Run capped = run("generate", "Once", "--model", huge.toString(), "--ctx-size", "64", "--max-new-tokens", "8");
        assertEquals(0, capped.code(), capped.err());
        assertCleanError(run("generate", "Once", "--model", MODEL.toString(), "--ctx-size", "100000"), "--ctx-size 100000");
    }

    @Test
    void generateChatAndServeTakeEveryMethodSettingFromOneDeclaration() {
        for (String command : new String[] {"generate", "chat", "serve"}) {
            Run help = run(command, "--help");
            for (String flag : new String[] {"--method", "--draft-model", "--draft-layers", "--draft-length", "--tree-budget", "--branching",
                "--max-ngram", "--lookup-candidates", "--k-matrix", "--lenience", "--heads", "--gate-entropy"}) {
                assertTrue(help.out().contains(flag + "="), command + " takes " + flag);
            }
            assertCleanError(run(command, "--model", MODEL.toString(), "--draft-length", "0"), "--draft-length must be >= 1");
        }
        // a flag the chosen method ignores is refused by generate and chat (serve's flags are request defaults)
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--method", "lookup", "--tree-budget", "4"),
                "--tree-budget does not apply to --method lookup (its flags: --draft-length, --lookup-candidates, --max-ngram)");
        assertCleanError(run("chat", "--model", MODEL.toString(), "--message", "Hi", "--method", "ar", "--heads", "x"),
                "--heads does not apply to --method ar (it takes no method flags)");
        Run chat = run("chat", "--model", MODEL.toString(), "--message", "Hello", "--method", "draft", "--draft-layers", "3",
                "--tree-budget", "6", "--max-new-tokens", "8", "--temperature", "0");
        assertEquals(0, chat.code(), chat.err());
    }

    @Test
    void serveRefusesBadSettingsInOneLine() throws Exception {
        assertCleanError(run("serve", "--model", MODEL.toString(), "--method", "beam"), "unknown method 'beam'");
        assertCleanError(run("serve", "--model", MODEL.toString(), "--batching", "sometimes"), "--batching");
        assertCleanError(run("serve", "--model", MODEL.toString(), "--port", "70000"), "--port");
        assertCleanError(run("serve", "--model", MODEL.toString(), "--max-concurrent", "0"), "--max-concurrent");
        assertCleanError(run("serve", "--model", MODEL.toString(), "--max-queue", "-1"), "--max-queue must be >= 0, got -1");
        assertCleanError(run("serve", "--model", MODEL.toString(), "--idle-timeout", "NaN"), "--idle-timeout must be > 0, got NaN");
        assertCleanError(run("serve", "--model", MODEL.toString(), "--batch-wait-us", "-1"), "--batch-wait-us must be >= 0, got -1");
        assertCleanError(run("serve", "--model", MODEL.toString(), "--prefill-chunk", "0"), "--prefill-chunk must be >= 1, got 0");
        assertCleanError(run("serve", "--model", MODEL.toString(), "--device", "cuda"), "CUDA");
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertCleanError(run("serve", "--model", MODEL.toString(), "--port", Integer.toString(taken.getLocalPort()),
                    "--warmup-seconds", "0"), "cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
    }
}

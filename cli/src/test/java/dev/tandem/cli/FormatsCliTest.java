package dev.tandem.cli;

import static dev.tandem.cli.CliTest.MODEL;
import static dev.tandem.cli.CliTest.SHARED;
import static dev.tandem.cli.CliTest.assertCleanError;
import static dev.tandem.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** convert / synth and generate on every format, without --tokenizer: the golden greedy text everywhere. */
class FormatsCliTest {
    static final String LILY = "Once upon a time, there was a little girl named Lily.";

    private static JsonNode generate(Path model, int tokens) throws Exception {
        CliTest.Run r = run("generate", LILY, "--model", model.toString(), "--max-new-tokens", String.valueOf(tokens), "--json");
        assertEquals(0, r.code(), r.err());
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void everyFormatGeneratesTheGoldenTokensWithItsOwnTokenizer(@TempDir Path dir) throws Exception {
        JsonNode golden = new ObjectMapper().readTree(SHARED.resolve("golden/stories260k/lily.json").toFile());
        Path gguf = dir.resolve("stories.gguf");
        Path hf = dir.resolve("stories-hf");
        Path bin = dir.resolve("back.bin");
        assertEquals(0, run("convert", "--model", MODEL.toString(), "--out", gguf.toString()).code());
        assertEquals(0, run("convert", "--model", gguf.toString(), "--out", hf.toString()).code());
        assertEquals(0, run("convert", "--model", hf.toString(), "--out", bin.toString()).code());
        assertTrue(Files.exists(hf.resolve("config.json")) && Files.exists(hf.resolve("model.safetensors"))
                && Files.exists(hf.resolve("tokenizer.json")));
        Files.copy(SHARED.resolve("models/stories260k/tok512.bin"), dir.resolve("tok512.bin"));
        for (Path model : new Path[] {gguf, hf, bin, SHARED.resolve("models/stories260k/stories260K-llamacpp.gguf")}) {
            JsonNode j = generate(model, 40);
            assertEquals(golden.get("prompt_tokens"), j.get("prompt_tokens"), model.toString());
            for (int i = 0; i < 40; i++) {
                assertEquals(golden.get("generated_tokens").get(i).asInt(), j.get("tokens").get(i).asInt(), model + " token " + i);
            }
        }
    }

    @Test
    void llamaCppGgufEnforcesItsDeclaredContextOf128() {
        assertCleanError(run("generate", LILY, "--model", SHARED.resolve("models/stories260k/stories260K-llamacpp.gguf").toString(),
                "--max-new-tokens", "200"), "128");
    }

    @Test
    void quantizedConversionAndSyntheticModelsRun(@TempDir Path dir) throws Exception {
        Path q8 = dir.resolve("q8.gguf");
        CliTest.Run c = run("convert", "--model", MODEL.toString(), "--out", q8.toString(), "--dtype", "q8_0");
        assertEquals(0, c.code(), c.err());
        assertEquals(20, generate(q8, 20).get("tokens").size());
        Path synth = dir.resolve("tiny.gguf");
        CliTest.Run s = run("synth", "--shape", "tiny", "--dtype", "q4_0", "--out", synth.toString());
        assertEquals(0, s.code(), s.err());
        assertTrue(s.out().contains("random weights"));
        int n = generate(synth, 10).get("tokens").size(); // random weights may well pick EOS early
        assertTrue(n >= 1 && n <= 10, n + " tokens");
    }

    /** stories260K inflated to a bigger shape generates its golden tokens, as GGUF and through every format convert writes. */
    @Test
    void inflatedModelGeneratesTheSmallModelsGoldenTokens(@TempDir Path dir) throws Exception {
        JsonNode golden = new ObjectMapper().readTree(SHARED.resolve("golden/stories260k/lily.json").toFile());
        Path big = dir.resolve("stories260k-as-mini.gguf");
        CliTest.Run s = run("synth", "--shape", "mini", "--from", MODEL.toString(), "--dtype", "f32", "--out", big.toString());
        assertEquals(0, s.code(), s.err());
        assertTrue(s.out().contains("predicts what stories260K predicts"), s.out());
        Path hf = dir.resolve("inflated-hf");
        Path bin = dir.resolve("inflated.bin");
        assertEquals(0, run("convert", "--model", big.toString(), "--out", hf.toString()).code());
        assertEquals(0, run("convert", "--model", big.toString(), "--out", bin.toString()).code());
        Files.copy(SHARED.resolve("models/stories260k/tok512.bin"), dir.resolve("tok512.bin"));
        for (Path model : new Path[] {big, hf, bin}) {
            JsonNode j = generate(model, 40);
            assertEquals(golden.get("prompt_tokens"), j.get("prompt_tokens"), model.toString());
            for (int i = 0; i < 40; i++) {
                assertEquals(golden.get("generated_tokens").get(i).asInt(), j.get("tokens").get(i).asInt(), model + " token " + i);
            }
        }
        assertCleanError(run("synth", "--shape", "tiny", "--from", MODEL.toString(), "--out", dir.resolve("x.gguf").toString()),
                "cannot inflate: the model's hidden width 172 exceeds the shape's 128");
        assertCleanError(run("synth", "--shape", "mini", "--heads", "h.safetensors", "--out", dir.resolve("x.gguf").toString()),
                "--heads and --heads-out go together");
    }

    @Test
    void badConversionsAreRefusedClearly(@TempDir Path dir) {
        assertCleanError(run("synth", "--shape", "gpt-5", "--out", dir.resolve("x.gguf").toString()), "unknown shape 'gpt-5'");
        assertCleanError(run("synth", "--shape", "tiny", "--dtype", "q3_x", "--out", dir.resolve("x.gguf").toString()), "unknown dtype");
        assertCleanError(run("synth", "--shape", "tiny", "--dtype", "q2_k_s", "--out", dir.resolve("x.gguf").toString()),
                "unknown dtype 'q2_k_s' (writable: ");
        assertCleanError(run("convert", "--model", MODEL.toString(), "--out", dir.resolve("hf").toString(), "--dtype", "q8_0"), "Hugging Face folder holds");
        assertCleanError(run("convert", "--model", MODEL.toString(), "--out", MODEL.toString()), "is the input model");
        assertCleanError(run("generate", "x", "--model", dir.toString()), "config.json");
    }
}

package dev.tandem.bench.fuzz;

import dev.tandem.core.TandemException;
import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.Generator;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.Methods;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import dev.tandem.decoding.heads.HeadKind;
import dev.tandem.decoding.heads.Heads;
import dev.tandem.decoding.heads.HeadsFile;
import dev.tandem.models.Llama2cTokenizer;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.TextStream;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import dev.tandem.models.tokenizer.TokenizerJson;
import dev.tandem.models.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Mutated model, heads and tokenizer files, each loaded and used as the CLI would: a model generates a
 * few greedy tokens with its tokenizer, heads draft with medusa, a tokenizer encodes and decodes a mixed
 * text. Each case must run or be refused with a {@link TandemException} whose message is one clean line
 * naming the file.
 */
public final class FileFuzz {
    /** A kind of file: a valid instance to mutate, the name mutants get, and how they are used. */
    public record Target(String kind, byte[] valid, String fileName, int headerBytes, Use use) {}

    @FunctionalInterface
    public interface Use {
        void run(Path file) throws Exception;
    }

    private static final String TEXT = "Once upon a time, Lily saw a big dog. Ünïcödé 世界 😀 \n\t  spaces   and code: x[i] += 1;";

    private FileFuzz() {}

    /** The five kinds, built from the stories260K files under {@code shared} in the scratch folder {@code dir}. */
    public static List<Target> targets(Path shared, Path dir, CpuBackend backend) {
        Path models = shared.resolve("models/stories260k");
        Path tok = models.resolve("tok512.bin");
        try (Model m = ModelLoader.load(models.resolve("stories260K.bin"))) {
            Path heads = dir.resolve("valid-heads.safetensors");
            HeadsFile.save(heads, new Heads(HeadKind.MEDUSA, 2, m.config().dim(), m.config().vocabSize(), m.name()), Map.of());
            Path json = dir.resolve("valid-tokenizer.json");
            try (Model g = ModelLoader.load(models.resolve("stories260K-llamacpp.gguf"))) {
                TokenizerJson.write(Tokenizers.embedded(g), json);
            }
            return List.of(
                    new Target("gguf", read(models.resolve("stories260K-llamacpp.gguf")), "fuzz.gguf", 64 * 1024,
                            f -> generate(f, null, backend)),
                    new Target("llama2.c", read(models.resolve("stories260K.bin")), "fuzz.bin", 28,
                            f -> generate(f, tok, backend)),
                    new Target("heads", read(heads), "fuzz-heads.safetensors", 1024, f -> medusa(models.resolve("stories260K.bin"), tok, f, backend)),
                    new Target("tokenizer.bin", read(tok), "fuzz-tok.bin", 6220, f -> roundTrip(Llama2cTokenizer.load(f, 512))),
                    new Target("tokenizer.json", read(json), "tokenizer.json", 1 << 20, f -> roundTrip(TokenizerJson.read(f))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(Path p) throws IOException {
        return Files.readAllBytes(p);
    }

    private static void generate(Path file, Path tokenizer, CpuBackend backend) {
        try (Model m = ModelLoader.load(file)) {
            Tokenizer t = Tokenizers.forModel(m, tokenizer);
            Generator g = Methods.create("ar", new Transformer(m, backend), t);
            int[] prompt = t.encode("Once upon a time", true, false);
            g.generate(new GenerationRequest(prompt, Math.min(8, m.config().contextLength() - prompt.length), SamplingParams.GREEDY),
                    TokenStream.NONE);
        }
    }

    private static void medusa(Path model, Path tok, Path heads, CpuBackend backend) {
        try (Model m = ModelLoader.load(model)) {
            Tokenizer t = Tokenizers.forModel(m, tok);
            Generator g = Methods.create("medusa", new Transformer(m, backend), t, MethodOptions.defaults().withHeads(heads, -1));
            g.generate(new GenerationRequest(t.encode("Once", true, false), 8, SamplingParams.GREEDY), TokenStream.NONE);
        }
    }

    private static void roundTrip(Tokenizer t) {
        int[] ids = t.encode(TEXT, true, false);
        TextStream.decodeAll(t, ids[0], java.util.Arrays.copyOfRange(ids, 1, ids.length));
    }
}

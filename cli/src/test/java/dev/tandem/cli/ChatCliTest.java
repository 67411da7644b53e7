package dev.tandem.cli;

import static dev.tandem.cli.CliTest.MODEL;
import static dev.tandem.cli.CliTest.SHARED;
import static dev.tandem.cli.CliTest.TOKENIZER;
import static dev.tandem.cli.CliTest.assertCleanError;
import static dev.tandem.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.Methods;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import dev.tandem.models.LlamaConfig;
import dev.tandem.models.Llama2cWriter;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import dev.tandem.models.tokenizer.ByteLevelBpe;
import dev.tandem.models.tokenizer.ByteLevelVocabulary;
import dev.tandem.models.tokenizer.ChatMessage;
import dev.tandem.models.tokenizer.ChatTemplate;
import dev.tandem.models.tokenizer.PreTokenizer;
import dev.tandem.models.tokenizer.SentencePieceBpe;
import dev.tandem.models.tokenizer.SpecialTokens;
import dev.tandem.models.tokenizer.TokenType;
import dev.tandem.models.tokenizer.TokenizerJson;
import dev.tandem.models.tokenizer.Tokenizers;
import dev.tandem.models.tokenizer.Vocabulary;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ./tandem chat on a synthetic chat model (random weights, a byte-level tokenizer.json with a ChatML template). */
class ChatCliTest {
    private static final String CHATML_JINJA = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
            + "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** A folder with model.bin and tokenizer.json (+ config) beside it; returns the model path. */
    static Path chatModel(Path dir, String jinja, int context) {
        ByteLevelVocabulary layout = new ByteLevelVocabulary().merge("H e", "l l", "He ll", "o Ġ")
                .add(TokenType.CONTROL, "<|endoftext|>", "<|im_start|>", "<|im_end|>");
        Vocabulary v = layout.vocabulary();
        int eos = v.id("<|im_end|>");
        ByteLevelBpe t = new ByteLevelBpe(v, layout.merges(), new SpecialTokens(v.id("<|endoftext|>"), eos, -1, -1, false, false),
                PreTokenizer.named("qwen2"), ByteLevelBpe.Options.DEFAULT, jinja);
        TokenizerJson.writeFolder(t, dir);
        Path model = dir.resolve("model.bin");
        Llama2cWriter.writeRandom(model, new LlamaConfig(32, 64, 2, 4, 2, v.size(), context, 1e-5f, 10000f, true), 7, 0.5f);
        return model;
    }

    /** The reply the library gives for a conversation, computed without the CLI. */
    private static String reply(Path modelPath, List<ChatMessage> conversation, String family, int maxNew) {
        try (Model model = ModelLoader.load(modelPath); CpuBackend backend = new CpuBackend(1)) {
            Tokenizer t = Tokenizers.load(modelPath.getParent(), model.config().vocabSize());
            ChatTemplate format = ChatTemplate.named(family);
            int[] prompt = t.encodePrompt(format.render(conversation, true, t.piece(t.bos()), t.piece(t.eos())), true);
            return Methods.create("ar", new Transformer(model, backend), t)
                    .generate(new GenerationRequest(prompt, maxNew, SamplingParams.GREEDY), TokenStream.NONE).text();
        }
    }

    @Test
    void repliesFollowTheModelsTemplateTurnAfterTurn(@TempDir Path dir) {
        Path model = chatModel(dir, CHATML_JINJA, 256);
        CliTest.Run r = run("chat", "--model", model.toString(), "--message", "Hello", "--message", "Hello again",
                "--max-new-tokens", "12", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        String first = reply(model, List.of(ChatMessage.user("Hello")), "chatml", 12).strip();
        String second = reply(model, List.of(ChatMessage.user("Hello"), ChatMessage.assistant(first),
                ChatMessage.user("Hello again")), "chatml", 12).strip();
        assertEquals(first + "\n" + second + "\n", r.out());
        // the markup reached the model as special tokens: a raw prompt gives another reply
        assertNotEquals(first, reply(model, List.of(ChatMessage.user("Hello")), "raw", 12).strip());
    }

    @Test
    void readsTurnsFromStdinUntilEof(@TempDir Path dir) {
        Path model = chatModel(dir, CHATML_JINJA, 256);
        InputStream saved = System.in;
        CliTest.Run r;
        try {
            System.setIn(new ByteArrayInputStream("Hello\n/reset\n\nHello\n".getBytes(StandardCharsets.UTF_8)));
            r = run("chat", "--model", model.toString(), "--max-new-tokens", "8", "--stats", "--system", "Be brief.");
        } finally {
            System.setIn(saved);
        }
        assertEquals(0, r.code(), r.err());
        String expected = reply(model, List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hello")), "chatml", 8).strip();
        assertEquals(expected + "\n" + expected + "\n", r.out()); // /reset: the second turn starts afresh
        assertTrue(r.err().contains("(conversation cleared)"), r.err());
        assertTrue(r.err().contains("[ar] prompt"), r.err());
    }

    @Test
    void stories260kHasNoTemplateAndChatsRawLikeGenerate() throws IOException {
        CliTest.Run chat = run("chat", "--model", MODEL.toString(), "--message", "Once upon a time", "--max-new-tokens", "15");
        assertEquals(0, chat.code(), chat.err());
        assertTrue(chat.err().contains("no chat template") && chat.err().contains("--template"), chat.err());
        CliTest.Run gen = run("generate", "Once upon a time", "--model", MODEL.toString(), "--max-new-tokens", "15", "--json");
        String text = new ObjectMapper().readTree(gen.out()).get("text").asText();
        assertEquals(text + "\n", chat.out());
    }

    @Test
    void generateAcceptsATokenizerJson(@TempDir Path dir) throws IOException {
        TokenizerJson.writeFolder(SentencePieceBpe.fromLlama2c(TOKENIZER), dir);
        CliTest.Run r = run("generate", "Once upon a time, there was a little girl named Lily.", "--model", MODEL.toString(),
                "--tokenizer", dir.resolve("tokenizer.json").toString(), "--max-new-tokens", "10", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode golden = new ObjectMapper().readTree(SHARED.resolve("golden/stories260k/lily.json").toFile());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(golden.get("prompt_tokens"), j.get("prompt_tokens"));
        for (int i = 0; i < 10; i++) {
            assertEquals(golden.get("generated_tokens").get(i).asInt(), j.get("tokens").get(i).asInt());
        }
        CliTest.Run folder = run("generate", "Once upon a time", "--model", MODEL.toString(), "--tokenizer", dir.toString(),
                "--max-new-tokens", "5");
        assertEquals(0, folder.code(), folder.err());
        assertTrue(folder.out().startsWith("Once upon a time"), folder.out());
    }

    @Test
    void generateWithATokenizerThatAddsNoBosPrintsThePromptWhole(@TempDir Path dir) {
        Path model = chatModel(dir, CHATML_JINJA, 256);
        CliTest.Run r = run("generate", "Hello", "--model", model.toString(), "--max-new-tokens", "3", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Hello"), r.out());
    }

    @Test
    void badChatSettingsAreCleanErrors(@TempDir Path dir) throws IOException {
        assertCleanError(run("chat", "--model", MODEL.toString(), "--template", "vicuna", "--message", "hi"), "unknown chat template");
        assertCleanError(run("chat", "--model", MODEL.toString(), "--max-new-tokens", "0", "--message", "hi"), "max-new-tokens");
        Path broken = chatModel(Files.createDirectory(dir.resolve("broken")), "{% for message in messages %}{{ message.content }}", 256);
        assertCleanError(run("chat", "--model", broken.toString(), "--message", "hi"), "--template");
        Path refusing = chatModel(Files.createDirectory(dir.resolve("refusing")), "{{ raise_exception('System messages are not supported') }}", 256);
        assertCleanError(run("chat", "--model", refusing.toString(), "--message", "hi"), "System messages are not supported");
        Path small = chatModel(Files.createDirectory(dir.resolve("small")), CHATML_JINJA, 32);
        assertCleanError(run("chat", "--model", small.toString(), "--message", "x".repeat(100)), "context of 32 tokens");
        Path json = dir.resolve("broken.json");
        Files.writeString(json, "{\"model\": {\"type\": \"Unigram\"}}");
        assertCleanError(run("generate", "hi", "--model", MODEL.toString(), "--tokenizer", json.toString()), "Unigram");
    }

    @Test
    void chatHelp() {
        CliTest.Run r = run("chat", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("--template") && r.out().contains("--message") && r.out().contains("--system"), r.out());
    }
}

package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.models.Tokenizer;
import dev.tandem.models.tokenizer.ChatMessage;
import dev.tandem.models.tokenizer.Tokenizers;
import dev.tandem.models.tokenizer.ToolCallSyntax;
import dev.tandem.server.ChatTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server renders chat requests with the model's Jinja template, and falls back, saying why, when it cannot. */
class PromptFormatsTest {
    private static Tokenizer tokenizer(Path dir, String jinja) throws IOException {
        Path model = ChatCliTest.chatModel(Files.createDirectories(dir), jinja, 64);
        return Tokenizers.load(model.getParent(), -1);
    }

    @Test
    void serverUsesTheModelsJinjaTemplateWithMarkersAsTokens(@TempDir Path dir) throws IOException {
        // a template no built-in family matches: before Jinja, chat requests fell back to the plain format
        Tokenizer t = tokenizer(dir, "{% for m in messages %}{{ '<|im_start|>' + m.role | upper + ': ' + m.content | trim + '<|im_end|>' }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|im_start|>' }}ASSISTANT: {% endif %}");
        List<String> warnings = new ArrayList<>();
        ChatTemplate chat = PromptFormats.forServer(t, warnings::add);
        List<ChatMessage> messages = List.of(new ChatMessage("user", " hi <|im_start|> "));
        assertEquals("<|im_start|>USER: hi <|im_start|><|im_end|><|im_start|>ASSISTANT: ", chat.render(messages));
        int start = t.tokenId("<|im_start|>");
        assertEquals(2, Arrays.stream(chat.encode(messages, t)).filter(x -> x == start).count(), "the user's marker text stays text");
        assertEquals(List.of(), warnings);
    }

    @Test
    void aTemplateThatDoesNotRenderFallsBackToItsFamilyOrThePlainFormat(@TempDir Path dir) throws IOException {
        List<String> warnings = new ArrayList<>();
        ChatTemplate family = PromptFormats.forServer(tokenizer(dir.resolve("a"), "{% for m in messages %}<|im_start|>{{ m.content }}"), warnings::add);
        assertEquals("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", family.render(List.of(new ChatMessage("user", "hi"))));
        assertTrue(warnings.get(0).contains("failed to render") && warnings.get(0).contains("built-in chatml"), warnings.toString());
        ChatTemplate plain = PromptFormats.forServer(tokenizer(dir.resolve("b"), "{% if %}"), warnings::add);
        assertEquals("user: hi\nassistant:", plain.render(List.of(new ChatMessage("user", "hi"))));
        assertTrue(warnings.get(1).contains("plain role: content"), warnings.toString());
    }

    /** The server reads tool calls in the syntax the model's template teaches (Hermes' blocks here), and none without one. */
    @Test
    void serverReadsToolCallsInTheTemplatesSyntax(@TempDir Path dir) throws IOException {
        Tokenizer hermes = tokenizer(dir.resolve("a"), "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
                + "{% if tools %}Call a tool as <tool_call>{\"name\": ..., \"arguments\": ...}</tool_call>{% endif %}");
        ToolCallSyntax syntax = PromptFormats.forServer(hermes, w -> { }).toolCalls();
        assertEquals(new ToolCallSyntax.Reply("", List.of(new ToolCallSyntax.Call("weather", "{\"city\":\"Paris\"}"))),
                syntax.parse("<tool_call>{\"name\": \"weather\", \"arguments\": {\"city\": \"Paris\"}}</tool_call>"));
        Tokenizer plain = tokenizer(dir.resolve("b"), "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}");
        assertEquals(null, PromptFormats.forServer(plain, w -> { }).toolCalls(), "a template without tools: replies are text");
    }
}

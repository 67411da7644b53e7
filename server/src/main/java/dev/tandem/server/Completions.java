package dev.tandem.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.api.ContextLengthExceeded;
import dev.tandem.api.Engine;
import dev.tandem.core.TandemException;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.GenerationResult;
import dev.tandem.decoding.Methods;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.StopReason;
import dev.tandem.decoding.TokenStream;
import dev.tandem.models.tokenizer.ToolCallSyntax;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code POST /v1/completions} and {@code POST /v1/chat/completions}: validates the request, waits for a
 * generation slot, runs the generation on the request's own (virtual) thread and answers with one JSON
 * body or, with {@code "stream": true}, with server-sent events, one per piece of text as it becomes final.
 * A client that goes away mid-stream cancels its generation before the next token, freeing its slot.
 */
final class Completions {
    enum Kind { TEXT, CHAT }

    private final ServerParts parts;
    private final Engine engine;
    private final Workers workers;
    private volatile boolean cancelAll;

    Completions(ServerParts parts, Workers workers) {
        this.parts = parts;
        this.engine = parts.engine();
        this.workers = workers;
    }

    /** Stops every running generation before its next token (the server's shutdown deadline has passed). */
    void cancelAll() {
        cancelAll = true;
    }

    /**
     * Runs the generation on a platform thread while the request's virtual thread waits: decoding is pure
     * computation, and on a virtual thread it would hold one of the few carrier threads for its whole run,
     * starving the I/O of every other request (their event writers, their sockets). Until its first text
     * it counts as prefilling.
     */
    private GenerationResult generate(Job job, TokenStream stream) throws IOException {
        Metrics.Phase prefill = parts.metrics().prefilling();
        TokenStream counted = new TokenStream() {
            @Override
            public void onText(String text) {
                prefill.close();
                stream.onText(text);
            }

            @Override
            public boolean cancelled() {
                return cancelAll || stream.cancelled();
            }
        };
        try {
            return workers.decode(() -> engine.generate(job.request(), job.method(), counted));
        } finally {
            prefill.close();
        }
    }

    /** What a request asks for, checked; {@code tools}: the model's tool-call syntax when it offered tools, else null (a text reply). */
    private record Job(Kind kind, int[] prompt, GenerationRequest request, String method, boolean stream, boolean usageInStream,
                       ToolCallSyntax tools) {}

    void handle(Kind kind, Exchange ex) throws IOException, InterruptedException {
        byte[] body = ex.body(parts.config().maxBodyBytes());
        Job job;
        try (Metrics.Phase tokenizing = parts.metrics().tokenizing()) {
            // parsing a large body and tokenizing are CPU work: off the virtual threads that serve /health
            job = workers.prepare(() -> parse(kind, Exchange.parseJson(body)));
        } catch (ApiError e) {
            if (e.status == 429) {
                parts.metrics().rejected(e.code);
            }
            throw e;
        }
        try (Admission.Slot slot = parts.admission().acquire()) {
            if (job.stream()) {
                stream(job, ex);
            } else {
                GenerationResult r = generate(job, TokenStream.NONE);
                parts.metrics().generated(r.tokens().length);
                ex.json(200, body(job, r));
            }
        } catch (ApiError e) {
            if (e.status == 429 || e.status == 503) {
                parts.metrics().rejected(e.code);
            }
            throw e;
        }
    }

    private Job parse(Kind kind, ObjectNode body) {
        Params p = new Params(body);
        String model = p.requiredString("model");
        if (!model.equals(engine.modelId())) {
            throw new ApiError(404, "invalid_request_error", "model_not_found", "model",
                    "the model '" + model + "' does not exist; this server has '" + engine.modelId() + "'");
        }
        String method = p.string("method", parts.config().defaultMethod());
        try {
            Methods.check(method);
        } catch (TandemException e) {
            throw ApiError.invalid("method", e.getMessage());
        }
        if (p.integer("n", 1L, 1, 128) != 1) {
            throw ApiError.unsupported("n", "n > 1 (several choices per request) is not supported; send one request per choice");
        }
        if (p.integer("best_of", 1L, 1, 128) != 1) {
            throw ApiError.unsupported("best_of", "best_of > 1 is not supported");
        }
        for (String penalty : new String[] {"presence_penalty", "frequency_penalty"}) {
            if (p.number(penalty, 0, -2, false, 2) != 0) {
                throw ApiError.unsupported(penalty, penalty + " is not supported (leave it at 0)");
            }
        }
        JsonNode logprobs = p.node("logprobs");
        if (logprobs != null && (logprobs.asBoolean(false) || logprobs.asLong(0) > 0)) {
            throw ApiError.unsupported("logprobs", "logprobs are not supported");
        }
        for (String option : kind == Kind.CHAT ? new String[] {"logit_bias", "functions", "suffix"}
                : new String[] {"logit_bias", "tools", "functions", "suffix"}) {
            JsonNode o = p.node(option);
            if (o != null && !(o.isContainerNode() && o.isEmpty())) {
                throw ApiError.unsupported(option, option + " is not supported");
            }
        }
        if (p.bool("echo", false)) {
            throw ApiError.unsupported("echo", "echo is not supported");
        }
        float temperature = (float) p.number("temperature", 1.0, 0, false, 2);
        float topP = (float) p.number("top_p", 1.0, 0, true, 1);
        int topK = p.integer("top_k", 0L, 0, Integer.MAX_VALUE).intValue();
        float minP = (float) p.number("min_p", 0, 0, false, 0.999999);
        long seed = p.integer("seed", System.nanoTime(), Long.MIN_VALUE, Long.MAX_VALUE);
        boolean stream = p.bool("stream", false);
        boolean usageInStream = stream && body.path("stream_options").path("include_usage").asBoolean(false);
        List<String> stops = p.stops();

        int[] prompt;
        ToolCallSyntax tools = null;
        int context = engine.contextLength();
        try { // refused before tokenizing when the text's length alone rules it out, else after
            if (kind == Kind.TEXT) {
                prompt = textPrompt(body.get("prompt"));
            } else {
                ChatRequest chat = ChatRequest.parse(p);
                engine.requireFits(chat.text());
                try {
                    prompt = parts.config().chatTemplate().encode(chat.messages(), chat.tools(), engine.tokenizer());
                } catch (TandemException e) { // the template refused the conversation (raise_exception, no tool support)
                    throw ApiError.invalid(chat.tools().isEmpty() ? "messages" : "tools", e.getMessage());
                }
                stops = new ArrayList<>(stops);
                stops.addAll(parts.config().chatTemplate().stops());
                tools = chat.tools().isEmpty() ? null : parts.config().chatTemplate().toolCalls();
            }
            if (prompt.length >= context) {
                throw new ContextLengthExceeded(prompt.length, false, context);
            }
        } catch (ContextLengthExceeded e) {
            throw new ApiError(400, "invalid_request_error", "context_length_exceeded", kind == Kind.TEXT ? "prompt" : "messages",
                    e.getMessage());
        }
        String maxName = kind == Kind.CHAT && p.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        Long max = p.integer(maxName, null, 1, Integer.MAX_VALUE);
        int left = context - prompt.length;
        if (max != null && max > left) {
            throw new ApiError(400, "invalid_request_error", "context_length_exceeded", maxName,
                    "this model's context is " + context + " tokens, but " + (prompt.length + max) + " were requested ("
                            + prompt.length + " in the prompt, " + max + " to generate); ask for at most " + left);
        }
        int maxNew = max != null ? max.intValue() : kind == Kind.TEXT ? Math.min(16, left) : left;
        GenerationRequest request = new GenerationRequest(prompt, maxNew, new SamplingParams(temperature, topK, topP, minP, seed), stops);
        return new Job(kind, prompt, request, method, stream, usageInStream, tools);
    }

    /** OpenAI's prompt: a string, an array of one string, or an array of token ids; absent means empty. */
    private int[] textPrompt(JsonNode prompt) {
        if (prompt == null || prompt.isNull()) {
            return engine.encode("");
        }
        if (prompt.isTextual()) {
            return engine.encode(prompt.asText());
        }
        if (prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
            return engine.encode(prompt.get(0).asText());
        }
        if (prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isIntegralNumber()) {
            int vocab = engine.tokenizer().vocabSize();
            int[] ids = new int[prompt.size()];
            for (int i = 0; i < ids.length; i++) {
                JsonNode t = prompt.get(i);
                if (!t.isIntegralNumber() || t.asLong() < 0 || t.asLong() >= vocab) {
                    throw ApiError.invalid("prompt", "token ids in 'prompt' must be integers between 0 and " + (vocab - 1) + ", got " + t);
                }
                ids[i] = t.asInt();
            }
            return ids;
        }
        if (prompt.isArray() && prompt.size() > 1) {
            throw ApiError.unsupported("prompt", "several prompts in one request are not supported; send one request per prompt");
        }
        throw ApiError.invalid("prompt", "'prompt' must be a string, an array of one string, or an array of token ids");
    }

    private void stream(Job job, Exchange ex) throws IOException {
        String id = id(job.kind());
        long created = System.currentTimeMillis() / 1000;
        PieceFormat format = new PieceFormat(job, id, created);
        GenerationResult r;
        try (EventStream events = new EventStream(ex, parts.metrics()::disconnect)) {
            if (job.kind() == Kind.CHAT) {
                ObjectNode first = chunk(job, id, created);
                ObjectNode delta = ((ObjectNode) first.withArray("choices").get(0)).putObject("delta");
                delta.put("role", "assistant");
                delta.put("content", "");
                events.send(first.toString());
            }
            ToolCallStream calls = job.tools() == null ? null : new ToolCallStream(job.tools(), text -> events.send(format.piece(text)));
            r = generate(job, new TokenStream() {
                @Override
                public void onText(String text) {
                    if (calls != null) {
                        calls.onText(text);
                    } else if (!text.isEmpty()) {
                        events.send(format.piece(text));
                    }
                }

                @Override
                public boolean cancelled() {
                    return events.gone(); // the client went away: stop before the next token
                }
            });
            parts.metrics().generated(r.tokens().length);
            if (!events.gone()) {
                ToolCallSyntax.Reply called = calls == null ? null : calls.finish();
                if (called != null) {
                    ObjectNode c = chunk(job, id, created);
                    ObjectNode choice = (ObjectNode) c.withArray("choices").get(0);
                    choice.putObject("delta").set("tool_calls", ToolCallStream.toJson(called, true));
                    choice.putNull("logprobs");
                    choice.putNull("finish_reason");
                    events.send(c.toString());
                }
                events.send(piece(job, id, created, null, called != null ? "tool_calls" : finishReason(r.stopReason())).toString());
                if (job.usageInStream()) {
                    ObjectNode u = chunk(job, id, created);
                    u.putArray("choices");
                    u.set("usage", usage(job, r));
                    events.send(u.toString());
                }
                events.send("[DONE]");
            }
        }
    }

    /**
     * A streamed piece of text as JSON, built from a fixed prefix and suffix around the quoted text: this
     * runs once per token on the generating thread, so it skips building a tree.
     */
    private final class PieceFormat {
        private final String prefix;
        private final String suffix;

        PieceFormat(Job job, String id, long created) {
            String head = "{\"id\":\"" + id + "\",\"object\":\"" + (job.kind() == Kind.CHAT ? "chat.completion.chunk" : "text_completion")
                    + "\",\"created\":" + created + ",\"model\":" + quote(engine.modelId()) + ",\"choices\":[{\"index\":0,";
            this.prefix = head + (job.kind() == Kind.CHAT ? "\"delta\":{\"content\":" : "\"text\":");
            this.suffix = (job.kind() == Kind.CHAT ? "}" : "") + ",\"logprobs\":null,\"finish_reason\":null}]}";
        }

        String piece(String text) {
            return prefix + quote(text) + suffix;
        }
    }

    private static String quote(String s) {
        return "\"" + new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(s)) + "\"";
    }

    private ObjectNode chunk(Job job, String id, long created) {
        ObjectNode c = Exchange.JSON.createObjectNode();
        c.put("id", id);
        c.put("object", job.kind() == Kind.CHAT ? "chat.completion.chunk" : "text_completion");
        c.put("created", created);
        c.put("model", engine.modelId());
        c.putArray("choices").addObject().put("index", 0);
        return c;
    }

    /** A streamed piece of text, or (text null) the closing chunk with its finish reason. */
    private ObjectNode piece(Job job, String id, long created, String text, String finish) {
        ObjectNode c = chunk(job, id, created);
        ObjectNode choice = (ObjectNode) c.withArray("choices").get(0);
        if (job.kind() == Kind.CHAT) {
            ObjectNode delta = choice.putObject("delta");
            if (text != null) {
                delta.put("content", text);
            }
        } else {
            choice.put("text", text == null ? "" : text);
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", finish);
        return c;
    }

    private ObjectNode body(Job job, GenerationResult r) {
        ObjectNode root = Exchange.JSON.createObjectNode();
        root.put("id", id(job.kind()));
        root.put("object", job.kind() == Kind.CHAT ? "chat.completion" : "text_completion");
        root.put("created", System.currentTimeMillis() / 1000);
        root.put("model", engine.modelId());
        ArrayNode choices = root.putArray("choices");
        ObjectNode choice = choices.addObject();
        choice.put("index", 0);
        ToolCallSyntax.Reply called = job.tools() == null ? null : job.tools().parse(r.text());
        if (called != null && called.calls().isEmpty()) {
            called = null;
        }
        if (job.kind() == Kind.CHAT) {
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            if (called == null) {
                message.put("content", r.text());
            } else { // OpenAI's shape: the calls, and content null when the reply is only calls
                message.put("content", called.content().isEmpty() ? null : called.content());
                message.set("tool_calls", ToolCallStream.toJson(called, false));
            }
        } else {
            choice.put("text", r.text());
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", called != null ? "tool_calls" : finishReason(r.stopReason()));
        root.set("usage", usage(job, r));
        ObjectNode t = root.putObject("tandem"); // extension: how the method did on this request
        t.put("method", job.method());
        t.put("target_forwards", r.stats().targetForwards());
        t.put("mean_accepted_length", r.stats().meanAcceptedLength());
        t.put("rows_per_step", r.stats().rowsPerStep());
        t.put("tokens_per_second", r.stats().tokensPerSecond());
        t.put("seed", r.stats().seed());
        return root;
    }

    private static ObjectNode usage(Job job, GenerationResult r) {
        ObjectNode u = Exchange.JSON.createObjectNode();
        u.put("prompt_tokens", job.prompt().length);
        u.put("completion_tokens", r.tokens().length);
        u.put("total_tokens", job.prompt().length + r.tokens().length);
        return u;
    }

    static String finishReason(StopReason reason) {
        return reason == StopReason.LENGTH ? "length" : "stop";
    }

    private static String id(Kind kind) {
        return (kind == Kind.CHAT ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    }
}

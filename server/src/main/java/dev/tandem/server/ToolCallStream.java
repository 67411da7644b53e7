package dev.tandem.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.models.tokenizer.ToolCallSyntax;
import java.security.SecureRandom;
import java.util.function.Consumer;

/**
 * A chat reply to a request that offered tools, split as the model's tool-call syntax writes it. Streaming, the
 * text goes out as it comes until a call begins or may be beginning; from there it is held until the reply
 * ends, then sent as calls ({@code delta.tool_calls}) or, when it does not parse as calls, as text.
 */
final class ToolCallStream {
    private static final SecureRandom IDS = new SecureRandom();
    private static final String ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private final ToolCallSyntax syntax;
    private final Consumer<String> sendText;
    private final StringBuilder reply = new StringBuilder();
    private int sent;

    ToolCallStream(ToolCallSyntax syntax, Consumer<String> sendText) {
        this.syntax = syntax;
        this.sendText = sendText;
    }

    /** A piece of the reply: sends what cannot be part of a call. */
    void onText(String text) {
        reply.append(text);
        int hold = syntax.holdFrom(reply.toString());
        int upTo = Math.max(sent, hold < 0 ? reply.length() : hold);
        if (upTo > sent) {
            sendText.accept(reply.substring(sent, upTo));
            sent = upTo;
        }
    }

    /** The reply has ended: the calls it holds (then the held text not part of them has been sent), or null. */
    ToolCallSyntax.Reply finish() {
        ToolCallSyntax.Reply r = syntax.parse(reply.toString());
        if (r.calls().isEmpty()) {
            if (sent < reply.length()) {
                sendText.accept(reply.substring(sent));
            }
            return null;
        }
        String before = reply.substring(0, sent).strip();
        if (r.content().startsWith(before) && r.content().length() > before.length()) {
            sendText.accept(r.content().substring(before.length()));
        }
        return r;
    }

    /** OpenAI's {@code tool_calls} for the calls of a reply; {@code indexed} adds each call's index (streaming deltas). */
    static ArrayNode toJson(ToolCallSyntax.Reply reply, boolean indexed) {
        ArrayNode calls = Exchange.JSON.createArrayNode();
        for (int i = 0; i < reply.calls().size(); i++) {
            ToolCallSyntax.Call c = reply.calls().get(i);
            ObjectNode call = calls.addObject();
            if (indexed) {
                call.put("index", i);
            }
            call.put("id", id());
            call.put("type", "function");
            ObjectNode f = call.putObject("function");
            f.put("name", c.name());
            f.put("arguments", c.arguments());
        }
        return calls;
    }

    /** Nine letters and digits: what Mistral's template demands of a call id it is given back, and fine for every other. */
    private static String id() {
        StringBuilder sb = new StringBuilder(9);
        for (int i = 0; i < 9; i++) {
            sb.append(ALNUM.charAt(IDS.nextInt(ALNUM.length())));
        }
        return sb.toString();
    }
}

package dev.tandem.decoding;

import dev.tandem.models.TextStream;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.util.Arrays;
import java.util.List;

/**
 * Collects accepted tokens for every decoding method and decides when to stop: at BOS/EOS or a chat
 * model's end-of-turn token ({@link Tokenizer#isEndOfGeneration}; not emitted), at a stop string (cut from the text) or at max new tokens. Streams text as it becomes final,
 * holding back a tail that could still grow into a stop string.
 */
public final class OutputTracker {
    private final Tokenizer tokenizer;
    private final TextStream textStream;
    private final List<String> stops;
    private final int maxNewTokens;
    private final TokenStream stream;
    private final StringBuilder text = new StringBuilder();
    private int[] tokens = new int[16];
    private int count;
    private int emitted; // chars of text already streamed
    private StopReason stopReason;

    /** The tracker of a request about to be decoded on {@code target}, once the request is known to fit its context. */
    public static OutputTracker begin(Transformer target, Tokenizer tokenizer, GenerationRequest request, TokenStream stream) {
        request.checkFits(target.config().contextLength());
        int[] prompt = request.promptTokens();
        return new OutputTracker(tokenizer, prompt[prompt.length - 1], request, stream);
    }

    public OutputTracker(Tokenizer tokenizer, int lastPromptToken, GenerationRequest request, TokenStream stream) {
        this.tokenizer = tokenizer;
        this.textStream = new TextStream(tokenizer, lastPromptToken);
        this.stops = request.stopStrings();
        this.maxNewTokens = request.maxNewTokens();
        this.stream = stream;
    }

    /** Takes the next token; returns false once generation must stop (this token may have been the last). */
    public boolean accept(int token) {
        if (stopReason != null) {
            return false;
        }
        if (stream.cancelled()) {
            cancel();
            return false;
        }
        if (tokenizer.isEndOfGeneration(token)) {
            stopReason = StopReason.END_OF_SEQUENCE;
            finish();
            return false;
        }
        if (count == tokens.length) {
            tokens = Arrays.copyOf(tokens, count * 2);
        }
        tokens[count++] = token;
        text.append(textStream.accept(token));
        if (cutAtStopString()) {
            stopReason = StopReason.STOP_STRING;
            finish();
            return false;
        }
        if (count >= maxNewTokens) {
            stopReason = StopReason.LENGTH;
            text.append(textStream.flush());
            finish();
            return false;
        }
        emit(text.length() - holdBack());
        return true;
    }

    /** Ends the run early (cancellation). */
    public void cancel() {
        if (stopReason == null) {
            stopReason = StopReason.CANCELLED;
            finish();
        }
    }

    public boolean done() {
        return stopReason != null;
    }

    public int count() {
        return count;
    }

    public int[] tokens() {
        return Arrays.copyOf(tokens, count);
    }

    public String text() {
        return text.toString();
    }

    public StopReason stopReason() {
        return stopReason;
    }

    private void finish() {
        emit(text.length());
    }

    private void emit(int upTo) {
        if (upTo > emitted) {
            stream.onText(text.substring(emitted, upTo));
            emitted = upTo;
        }
    }

    private boolean cutAtStopString() {
        int best = -1;
        for (String s : stops) {
            int from = Math.max(0, emitted - s.length());
            int at = text.indexOf(s, from);
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
            }
        }
        if (best < 0) {
            return false;
        }
        text.setLength(best);
        return true;
    }

    /** Length of the longest tail of the text that is a proper prefix of a stop string. */
    private int holdBack() {
        int hold = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, text.length()); k > hold; k--) {
                if (text.substring(text.length() - k).equals(s.substring(0, k))) {
                    hold = k;
                    break;
                }
            }
        }
        return hold;
    }
}

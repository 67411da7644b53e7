package dev.tandem.decoding;

import dev.tandem.core.TandemException;
import java.util.List;

/**
 * One generation: prompt token ids (BOS first where the model wants it), how many new tokens at most,
 * sampling settings and stop strings (generation ends when the text contains one; it is not returned).
 */
public record GenerationRequest(int[] promptTokens, int maxNewTokens, SamplingParams sampling, List<String> stopStrings) {
    public GenerationRequest {
        if (promptTokens.length == 0) {
            throw new TandemException("the prompt has no tokens (not even BOS)");
        }
        if (maxNewTokens < 1) {
            throw new TandemException("max new tokens must be >= 1, got " + maxNewTokens);
        }
        promptTokens = promptTokens.clone();
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) {
                throw new TandemException("a stop string must not be empty");
            }
        }
    }

    public GenerationRequest(int[] promptTokens, int maxNewTokens, SamplingParams sampling) {
        this(promptTokens, maxNewTokens, sampling, List.of());
    }

    /** Refuses a request that does not fit the model's context. */
    public void checkFits(int contextLength) {
        if (promptTokens.length >= contextLength) {
            throw new TandemException("the prompt is " + promptTokens.length + " tokens, which does not fit the context of "
                    + contextLength + " tokens");
        }
        if (promptTokens.length + maxNewTokens > contextLength) {
            throw new TandemException("prompt (" + promptTokens.length + " tokens) + max new tokens (" + maxNewTokens
                    + ") exceeds the context length of " + contextLength + " tokens; ask for at most "
                    + (contextLength - promptTokens.length) + " new tokens");
        }
    }
}

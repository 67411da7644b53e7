package dev.tandem.api;

import dev.tandem.core.TandemException;

/** A prompt that cannot fit the model's context: refused before tokenizing when its length alone rules it out. */
public final class ContextLengthExceeded extends TandemException {
    private final long tokens;
    private final int context;

    /** @param tokens the prompt's tokens, or a lower bound on them when {@code atLeast} */
    public ContextLengthExceeded(long tokens, boolean atLeast, int context) {
        super("the prompt is " + (atLeast ? "at least " : "") + tokens + " tokens, which does not fit this model's context of "
                + context + " tokens");
        this.tokens = tokens;
        this.context = context;
    }

    public long tokens() {
        return tokens;
    }

    public int context() {
        return context;
    }
}

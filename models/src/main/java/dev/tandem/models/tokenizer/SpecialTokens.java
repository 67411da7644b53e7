package dev.tandem.models.tokenizer;

import dev.tandem.core.TandemException;

/**
 * The ids a tokenizer treats specially (-1 where the model has none) and whether a sequence starts with
 * BOS / ends with EOS when the caller asks for them.
 */
public record SpecialTokens(int bos, int eos, int unknown, int padding, boolean addBos, boolean addEos) {
    /** Fails unless every id is -1 or inside a vocabulary of {@code size} tokens. */
    void check(int size) {
        check("bos", bos, size);
        check("eos", eos, size);
        check("unknown", unknown, size);
        check("padding", padding, size);
        if (addBos && bos < 0) {
            throw new TandemException("the tokenizer adds BOS but has no BOS token");
        }
        if (addEos && eos < 0) {
            throw new TandemException("the tokenizer adds EOS but has no EOS token");
        }
    }

    private static void check(String what, int id, int size) {
        if (id < -1 || id >= size) {
            throw new TandemException(what + " token id " + id + " is outside the vocabulary of " + size + " tokens");
        }
    }

    public SpecialTokens withBos(int id, boolean add) {
        return new SpecialTokens(id, eos, unknown, padding, add, addEos);
    }

    public SpecialTokens withEos(int id, boolean add) {
        return new SpecialTokens(bos, id, unknown, padding, addBos, add);
    }
}

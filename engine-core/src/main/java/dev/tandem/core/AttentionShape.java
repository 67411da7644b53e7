package dev.tandem.core;

/** Head layout of one attention layer (grouped-query when {@code kvHeads < heads}). */
public record AttentionShape(int heads, int kvHeads, int headSize) {
    public AttentionShape {
        if (heads <= 0 || kvHeads <= 0 || headSize <= 0 || heads % kvHeads != 0) {
            throw new TandemException("attention shape heads=" + heads + " kv_heads=" + kvHeads
                    + " head_size=" + headSize + " is invalid (heads must be a multiple of kv_heads)");
        }
    }

    public int dim() {
        return heads * headSize;
    }

    public int kvDim() {
        return kvHeads * headSize;
    }
}

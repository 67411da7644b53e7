package dev.tandem.models.convert;

/**
 * Row orders of query/key projections for the two RoPE pair layouts. A checkpoint that rotates adjacent pairs
 * (llama2.c, GGUF "llama") and one that rotates half-split pairs (Hugging Face) compute the same function when
 * each head's output rows are permuted: adjacent row {@code 2i + t} is half-split row {@code t * headSize/2 + i}.
 */
final class RopeLayout {
    private RopeLayout() {}

    /** For each output row of the target layout, the source row it comes from. */
    static int[] sourceRows(int rows, int headSize, boolean fromHalfSplit, boolean toHalfSplit) {
        int[] src = new int[rows];
        int half = headSize / 2;
        for (int r = 0; r < rows; r++) {
            int head = r / headSize, j = r % headSize;
            int source;
            if (fromHalfSplit == toHalfSplit) {
                source = j;
            } else if (toHalfSplit) { // target half-split row t*half + i comes from adjacent row 2i + t
                source = 2 * (j % half) + j / half;
            } else { // target adjacent row 2i + t comes from half-split row t*half + i
                source = (j % 2) * half + j / 2;
            }
            src[r] = head * headSize + source;
        }
        return src;
    }
}

package dev.tandem.models;

import dev.tandem.core.TandemException;
import dev.tandem.models.io.FileBytes;
import dev.tandem.models.tokenizer.MergeQueue;
import dev.tandem.models.tokenizer.PairMerge;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The llama2.c tokenizer file: int32 max_token_length, then per token a float32 merge score, an int32
 * length and the piece's bytes. Encoding follows the reference exactly: BOS, a dummy-prefix space for
 * non-empty text, one piece per UTF-8 code point (bytes + 3 when unknown), then greedy merging of the
 * adjacent pair whose merged piece scores best (leftmost on ties).
 */
public final class Llama2cTokenizer implements Tokenizer {
    public static final int BOS = 1;
    public static final int EOS = 2;
    private static final int BYTE_TOKEN_OFFSET = 3;

    private final byte[][] pieces;
    private final float[] scores;
    private final Map<String, Integer> ids; // piece bytes as ISO-8859-1 string (one char per byte)
    private final int[] rank; // per token: 0 for the best score (equal scores, equal rank); -1: never merged into

    private Llama2cTokenizer(byte[][] pieces, float[] scores) {
        this.pieces = pieces;
        this.scores = scores;
        this.rank = ranks(scores);
        this.ids = new HashMap<>(pieces.length * 2);
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(new String(pieces[i], StandardCharsets.ISO_8859_1), i);
        }
    }

    /** Merge ranks by descending score; the reference merges only scores above -1e10 (NaN never). */
    private static int[] ranks(float[] scores) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(scores[b], scores[a]));
        int[] rank = new int[scores.length];
        Arrays.fill(rank, -1);
        int r = -1;
        float last = Float.NaN;
        for (int id : order) {
            float s = scores[id];
            if (!(s > -1e10f)) {
                continue;
            }
            if (r < 0 || s != last) {
                r++;
                last = s;
            }
            rank[id] = r;
        }
        return rank;
    }

    /** Reads a tokenizer file; {@code expectedVocab} (the model's vocab size) must match its token count. */
    public static Llama2cTokenizer load(Path path, int expectedVocab) {
        byte[] data = FileBytes.read(path, "tokenizer file");
        ByteBuffer buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (buf.remaining() < 4) {
            throw new TandemException("tokenizer file " + path + " is too short to be a llama2.c tokenizer");
        }
        int maxLen = buf.getInt();
        if (maxLen <= 0 || maxLen > 1 << 16) {
            throw new TandemException("tokenizer file " + path + " is not a llama2.c tokenizer (max_token_length " + maxLen + ")");
        }
        List<byte[]> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        while (buf.hasRemaining()) {
            if (buf.remaining() < 8) {
                throw new TandemException("tokenizer file " + path + " is truncated inside token " + pieces.size());
            }
            float score = buf.getFloat();
            int len = buf.getInt();
            if (len < 0 || len > maxLen || len > buf.remaining()) {
                throw new TandemException("tokenizer file " + path + " is corrupt or truncated at token "
                        + pieces.size() + " (piece length " + len + ")");
            }
            byte[] piece = new byte[len];
            buf.get(piece);
            pieces.add(piece);
            scores.add(score);
        }
        if (expectedVocab > 0 && pieces.size() != expectedVocab) {
            throw new TandemException("tokenizer " + path + " has " + pieces.size()
                    + " tokens but the model's vocabulary has " + expectedVocab + "; they do not belong together");
        }
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
        }
        if (pieces.stream().noneMatch(p -> p.length == 1 && p[0] == ' ')) {
            throw new TandemException("tokenizer file " + path + " has no piece for ' ', which llama2.c's encoding starts every text with");
        }
        return new Llama2cTokenizer(pieces.toArray(new byte[0][]), s);
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    @Override
    public int bos() {
        return BOS;
    }

    @Override
    public int eos() {
        return EOS;
    }

    @Override
    public String piece(int token) {
        return new String(pieces[token], StandardCharsets.UTF_8);
    }

    /** The merge score of a token (higher merges first). */
    public float score(int token) {
        return scores[token];
    }

    @Override
    public int tokenId(String piece) {
        return lookup(piece.getBytes(StandardCharsets.UTF_8));
    }

    private int lookup(byte[] bytes) {
        return lookup(bytes, bytes.length);
    }

    private int lookup(byte[] bytes, int len) {
        Integer id = ids.get(new String(bytes, 0, len, StandardCharsets.ISO_8859_1));
        return id == null ? -1 : id;
    }

    @Override
    public int[] encode(String text, boolean bos, boolean eos) {
        int[] tokens = symbols(text, bos, eos ? 1 : 0);
        int n = merge(tokens, bos ? 1 : 0, tokens.length - (eos ? 1 : 0), new MergeQueue());
        if (eos) {
            tokens[n++] = EOS;
        }
        return Arrays.copyOf(tokens, n);
    }

    /**
     * BOS when asked, the dummy prefix, then one piece per UTF-8 code point (its bytes as byte tokens when
     * it has none), followed by {@code spare} free slots.
     */
    private int[] symbols(String text, boolean bos, int spare) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int[] tokens = new int[utf8.length + 2 + spare];
        int n = 0;
        if (bos) {
            tokens[n++] = BOS;
        }
        if (utf8.length > 0) {
            int space = lookup(new byte[] {' '}, 1);
            if (space < 0) {
                throw new TandemException("tokenizer has no piece for ' ' (the dummy prefix)");
            }
            tokens[n++] = space;
        }
        byte[] cp = new byte[4];
        int cpLen = 0;
        for (int i = 0; i < utf8.length; i++) {
            cp[cpLen++] = utf8[i];
            boolean nextIsContinuation = i + 1 < utf8.length && (utf8[i + 1] & 0xC0) == 0x80;
            if (nextIsContinuation && cpLen < 4) {
                continue;
            }
            int id = lookup(cp, cpLen);
            if (id >= 0) {
                tokens[n++] = id;
            } else {
                for (int b = 0; b < cpLen; b++) {
                    tokens[n++] = (cp[b] & 0xFF) + BYTE_TOKEN_OFFSET;
                }
            }
            cpLen = 0;
        }
        return Arrays.copyOf(tokens, n + spare);
    }

    /**
     * The reference's merge (repeatedly the best-scoring adjacent pair, leftmost on ties), in O(n log n) by
     * the shared {@link PairMerge}; returns the new n.
     */
    private int merge(int[] tokens, int from, int n, MergeQueue queue) {
        int[] next = PairMerge.run(from, n, new PairMerge.Symbols() {
            @Override
            public long rule(int i, int j) {
                int merged = pairTarget(tokens[i], tokens[j]);
                return merged < 0 ? -1 : PairMerge.rule(rank[merged], merged);
            }

            @Override
            public void merge(int i, int j, int merged) {
                tokens[i] = merged;
            }
        }, queue);
        int out = from;
        for (int k = n > from ? from : -1; k >= 0; k = next[k]) {
            tokens[out++] = tokens[k];
        }
        return out;
    }

    /** The piece spelled by two pieces side by side, if it may merge (scores above the reference's floor). */
    private int pairTarget(int left, int right) {
        byte[] a = pieces[left];
        byte[] b = pieces[right];
        byte[] ab = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, ab, a.length, b.length);
        int id = lookup(ab, ab.length);
        return id >= 0 && rank[id] >= 0 ? id : -1;
    }

    /** The queue work (pushes) of encoding {@code text}: linear in its length; tests assert it. */
    long mergeWork(String text) {
        MergeQueue queue = new MergeQueue();
        int[] tokens = symbols(text, false, 0);
        merge(tokens, 0, tokens.length, queue);
        return queue.pushes();
    }

    @Override
    public byte[] decode(int prev, int token) {
        if (token < 0 || token >= pieces.length) {
            throw new TandemException("token id " + token + " is outside the vocabulary of " + pieces.length);
        }
        byte[] piece = pieces[token];
        if (prev == BOS && piece.length > 0 && piece[0] == ' ') {
            return Arrays.copyOfRange(piece, 1, piece.length);
        }
        int b = byteToken(piece);
        if (b >= 0) {
            return new byte[] {(byte) b};
        }
        return piece;
    }

    /** The byte value of a {@code <0xXX>} piece, or -1. */
    private static int byteToken(byte[] piece) {
        if (piece.length != 6 || piece[0] != '<' || piece[1] != '0' || piece[2] != 'x' || piece[5] != '>') {
            return -1;
        }
        int hi = Character.digit(piece[3], 16);
        int lo = Character.digit(piece[4], 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }
}

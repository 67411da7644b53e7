package dev.tandem.models;

import dev.tandem.core.TandemException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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

    private Llama2cTokenizer(byte[][] pieces, float[] scores) {
        this.pieces = pieces;
        this.scores = scores;
        this.ids = new HashMap<>(pieces.length * 2);
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(new String(pieces[i], StandardCharsets.ISO_8859_1), i);
        }
    }

    /** Reads a tokenizer file; {@code expectedVocab} (the model's vocab size) must match its token count. */
    public static Llama2cTokenizer load(Path path, int expectedVocab) {
        byte[] data;
        try {
            data = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new TandemException("tokenizer file not found: " + path);
        } catch (IOException e) {
            throw new TandemException("cannot read tokenizer file " + path + ": " + e.getMessage(), e);
        }
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
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int[] tokens = new int[utf8.length + 3];
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
        n = merge(tokens, bos ? 1 : 0, n);
        if (eos) {
            tokens[n++] = EOS;
        }
        return Arrays.copyOf(tokens, n);
    }

    /** Greedy BPE over {@code tokens[from, n)}; returns the new n. */
    private int merge(int[] tokens, int from, int n) {
        while (true) {
            float bestScore = -1e10f;
            int bestId = -1;
            int bestIdx = -1;
            for (int i = from; i < n - 1; i++) {
                byte[] a = pieces[tokens[i]];
                byte[] b = pieces[tokens[i + 1]];
                byte[] ab = Arrays.copyOf(a, a.length + b.length);
                System.arraycopy(b, 0, ab, a.length, b.length);
                int id = lookup(ab, ab.length);
                if (id >= 0 && scores[id] > bestScore) {
                    bestScore = scores[id];
                    bestId = id;
                    bestIdx = i;
                }
            }
            if (bestIdx < 0) {
                return n;
            }
            tokens[bestIdx] = bestId;
            System.arraycopy(tokens, bestIdx + 2, tokens, bestIdx + 1, n - bestIdx - 2);
            n--;
        }
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

package dev.tandem.models.tokenizer;

import dev.tandem.core.TandemException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Token pieces with their types, and the reverse lookup from piece to id (the first id wins on duplicates). */
public final class Vocabulary {
    private final String[] pieces;
    private final TokenType[] types;
    private final Map<String, Integer> ids;
    private final int[] byteTokens = new int[256];

    public Vocabulary(List<String> pieces, List<TokenType> types) {
        if (pieces.isEmpty()) {
            throw new TandemException("the vocabulary has no tokens");
        }
        if (pieces.size() != types.size()) {
            throw new TandemException("the vocabulary has " + pieces.size() + " tokens but " + types.size() + " token types");
        }
        this.pieces = pieces.toArray(new String[0]);
        this.types = types.toArray(new TokenType[0]);
        this.ids = new HashMap<>(pieces.size() * 2);
        Arrays.fill(byteTokens, -1);
        for (int i = 0; i < this.pieces.length; i++) {
            if (this.pieces[i] == null) {
                throw new TandemException("token " + i + " of the vocabulary has no piece");
            }
            if (this.types[i] == null) {
                throw new TandemException("token " + i + " of the vocabulary has no type");
            }
            ids.putIfAbsent(this.pieces[i], i);
            int b = byteValue(this.pieces[i]);
            if (this.types[i] == TokenType.BYTE) {
                if (b < 0) {
                    throw new TandemException("token " + i + " is typed byte but its piece '" + this.pieces[i]
                            + "' is not of the form <0xXX>");
                }
                if (byteTokens[b] < 0) {
                    byteTokens[b] = i;
                }
            }
        }
    }

    public int size() {
        return pieces.length;
    }

    public String piece(int id) {
        return pieces[id];
    }

    public TokenType type(int id) {
        return types[id];
    }

    /** The id of a piece, or -1. */
    public int id(String piece) {
        Integer id = ids.get(piece);
        return id == null ? -1 : id;
    }

    /** The id of the {@code <0xXX>} byte token for {@code b}, or -1 when the vocabulary has none. */
    public int byteToken(int b) {
        return byteTokens[b & 0xFF];
    }

    /** Whether every byte has its own {@code <0xXX>} token (byte fallback is possible). */
    public boolean hasByteTokens() {
        for (int t : byteTokens) {
            if (t < 0) {
                return false;
            }
        }
        return true;
    }

    public List<String> pieces() {
        return Collections.unmodifiableList(Arrays.asList(pieces));
    }

    public List<TokenType> types() {
        return Collections.unmodifiableList(Arrays.asList(types));
    }

    /** This vocabulary grown to {@code n} tokens with unused {@code [PAD<i>]} entries (models often round up). */
    public Vocabulary padTo(int n) {
        if (n <= pieces.length) {
            return this;
        }
        List<String> p = new ArrayList<>(Arrays.asList(pieces));
        List<TokenType> t = new ArrayList<>(Arrays.asList(types));
        for (int i = pieces.length; i < n; i++) {
            p.add("[PAD" + i + "]");
            t.add(TokenType.UNUSED);
        }
        return new Vocabulary(p, t);
    }

    /** The byte of a {@code <0xXX>} piece, or -1. */
    static int byteValue(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') {
            return -1;
        }
        int hi = Character.digit(piece.charAt(3), 16);
        int lo = Character.digit(piece.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    static String bytePiece(int b) {
        return String.format("<0x%02X>", b & 0xFF);
    }
}

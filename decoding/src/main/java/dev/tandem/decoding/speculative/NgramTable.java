package dev.tandem.decoding.speculative;

import dev.tandem.core.TandemException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;

/**
 * A statistical language model of what a target model writes: for every context of 1 to {@code maxOrder}
 * tokens seen in a corpus of the model's own text, its most frequent next token, that token's count and
 * the context's total count. A retrieval datastore in the manner of REST (He et al., 2023) and the
 * corpus-built bottom of CS Drafting's cascade, scaled from a bigram to longer contexts. Contexts are kept as
 * 44-bit hashes: a collision can only propose a wrong token, which verification rejects.
 *
 * <p>File layout (little work to read, checked on load): the magic {@code TNDMNGRM}, a version, the
 * vocabulary size, the longest order, the corpus positions counted, the entry count, then per entry its
 * context hash, next token, that token's count and the context's total, big-endian.
 */
public final class NgramTable {
    private static final long MAGIC = 0x544E444D4E47524DL; // "TNDMNGRM"
    private static final int VERSION = 1;
    private static final int TOKEN_BITS = 20;
    private static final long TOKEN_MASK = (1L << TOKEN_BITS) - 1;
    /** Longest context a table may hold: beyond it, a context of a model's own text rarely repeats. */
    public static final int MAX_ORDER = 16;

    private final int vocabSize;
    private final int maxOrder;
    private final long positions;
    private final int entries;
    private final long[] keys;   // open addressing, 0 = empty
    private final int[] next;
    private final int[] count;
    private final int[] total;

    private NgramTable(int vocabSize, int maxOrder, long positions, long[] entryKeys, int[] entryNext, int[] entryCount,
                       int[] entryTotal) {
        this.vocabSize = vocabSize;
        this.maxOrder = maxOrder;
        this.positions = positions;
        this.entries = entryKeys.length;
        int slots = Integer.highestOneBit(Math.max(4, entries * 2 - 1)) << 1;
        keys = new long[slots];
        next = new int[slots];
        count = new int[slots];
        total = new int[slots];
        for (int e = 0; e < entries; e++) {
            int s = slot(entryKeys[e]);
            keys[s] = entryKeys[e];
            next[s] = entryNext[e];
            count[s] = entryCount[e];
            total[s] = entryTotal[e];
        }
    }

    /** Counts {@code sequences} (token ids below {@code vocabSize}) into a table of contexts up to {@code maxOrder} long. */
    public static NgramTable build(List<int[]> sequences, int vocabSize, int maxOrder) {
        if (maxOrder < 1 || maxOrder > MAX_ORDER) {
            throw new TandemException("n-gram order must be between 1 and " + MAX_ORDER + ", got " + maxOrder);
        }
        if (vocabSize < 1 || vocabSize > TOKEN_MASK + 1) {
            throw new TandemException("an n-gram table holds vocabularies of up to " + (TOKEN_MASK + 1) + " tokens, got " + vocabSize);
        }
        long pairs = 0;
        long positions = 0;
        for (int[] s : sequences) {
            positions += s.length;
            for (int i = 1; i < s.length; i++) {
                pairs += Math.min(maxOrder, i);
            }
        }
        if (pairs > Integer.MAX_VALUE - 8) {
            throw new TandemException("corpus too large for one n-gram table: " + pairs + " (context, token) pairs");
        }
        // Every (context, next token) occurrence as one long (context hash above, token below), sorted: each
        // context's occurrences are then one run, and each of its next tokens a sub-run in token order.
        long[] occurrences = new long[(int) pairs];
        int o = 0;
        for (int[] s : sequences) {
            for (int i = 1; i < s.length; i++) {
                int t = s[i];
                if (t < 0 || t >= vocabSize) {
                    throw new TandemException("token " + t + " is outside the vocabulary of " + vocabSize);
                }
                for (int n = 1; n <= Math.min(maxOrder, i); n++) {
                    occurrences[o++] = (hash(s, i, n) << TOKEN_BITS) | t;
                }
            }
        }
        Arrays.sort(occurrences);
        int contexts = 0;
        for (int i = 0; i < occurrences.length; i++) {
            if (i == 0 || (occurrences[i] >>> TOKEN_BITS) != (occurrences[i - 1] >>> TOKEN_BITS)) {
                contexts++;
            }
        }
        long[] k = new long[contexts];
        int[] nx = new int[contexts];
        int[] c = new int[contexts];
        int[] tot = new int[contexts];
        int e = -1;
        for (int i = 0; i < occurrences.length; ) {
            long context = occurrences[i] >>> TOKEN_BITS;
            if (e < 0 || k[e] != context) {
                e++;
                k[e] = context;
            }
            int j = i;
            while (j < occurrences.length && occurrences[j] == occurrences[i]) {
                j++;
            }
            tot[e] += j - i;
            if (j - i > c[e]) { // tokens ascend within a context, so ties keep the lowest id
                c[e] = j - i;
                nx[e] = (int) (occurrences[i] & TOKEN_MASK);
            }
            i = j;
        }
        return new NgramTable(vocabSize, maxOrder, positions, k, nx, c, tot);
    }

    /**
     * The most frequent token after the longest known context ending before {@code end} in {@code tokens}
     * (at most {@link #maxOrder()} long), as {@code token | confidence << 32} with confidence in 1/65536ths
     * (count over total + 1: a context seen once is trusted half way), or -1 where no context is known.
     */
    public long predict(int[] tokens, int end) {
        for (int n = Math.min(maxOrder, end); n >= 1; n--) {
            int s = slot(hash(tokens, end, n));
            if (keys[s] != 0) {
                long confidence = (long) count[s] * 65536 / (total[s] + 1L);
                return next[s] | confidence << 32;
            }
        }
        return -1;
    }

    /** The token of a {@link #predict} result. */
    public static int token(long prediction) {
        return (int) prediction;
    }

    /** The estimated probability that the token of a {@link #predict} result is the model's next token. */
    public static double confidence(long prediction) {
        return (prediction >>> 32) / 65536.0;
    }

    public int vocabSize() {
        return vocabSize;
    }

    public int maxOrder() {
        return maxOrder;
    }

    /** Corpus positions counted. */
    public long positions() {
        return positions;
    }

    /** Distinct contexts held. */
    public int contexts() {
        return entries;
    }

    /** Writes the table; an existing file is replaced only once the new one is complete. */
    public void save(Path file) {
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(partial), 1 << 16))) {
            out.writeLong(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(vocabSize);
            out.writeInt(maxOrder);
            out.writeLong(positions);
            out.writeInt(entries);
            for (int s = 0; s < keys.length; s++) {
                if (keys[s] != 0) {
                    out.writeLong(keys[s]);
                    out.writeInt(next[s]);
                    out.writeInt(count[s]);
                    out.writeInt(total[s]);
                }
            }
            out.close();
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(partial); // the table it would have replaced stays
            } catch (IOException ignored) {
                // the write's own error is the one to report
            }
            throw new TandemException("cannot write n-gram table " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a table written by {@link #save}; a missing, foreign, truncated or inconsistent file is a clear error. */
    public static NgramTable load(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            DataInputStream d = new DataInputStream(new BufferedInputStream(in, 1 << 16));
            if (d.readLong() != MAGIC) {
                throw new TandemException(file + " is not an n-gram table (made by ./tandem train-ngram)");
            }
            int version = d.readInt();
            if (version != VERSION) {
                throw new TandemException(file + " is an n-gram table of version " + version + "; this build reads version " + VERSION);
            }
            int vocab = d.readInt();
            int order = d.readInt();
            long positions = d.readLong();
            int n = d.readInt();
            long size = Files.size(file);
            if (vocab < 1 || vocab > TOKEN_MASK + 1 || order < 1 || order > MAX_ORDER || n < 0 || size != 32L + 20L * n) {
                throw new TandemException(file + " is a damaged n-gram table: header (vocabulary " + vocab + ", order " + order
                        + ", " + n + " entries) does not match its " + size + " bytes");
            }
            long[] k = new long[n];
            int[] nx = new int[n];
            int[] c = new int[n];
            int[] t = new int[n];
            for (int e = 0; e < n; e++) {
                k[e] = d.readLong();
                nx[e] = d.readInt();
                c[e] = d.readInt();
                t[e] = d.readInt();
                if (k[e] == 0 || k[e] >>> (64 - TOKEN_BITS) != 0 || nx[e] < 0 || nx[e] >= vocab || c[e] < 1 || t[e] < c[e]) {
                    throw new TandemException(file + " is a damaged n-gram table: entry " + e + " is invalid");
                }
            }
            return new NgramTable(vocab, order, positions, k, nx, c, t);
        } catch (NoSuchFileException e) {
            throw new TandemException("n-gram table not found: " + file);
        } catch (EOFException e) {
            throw new TandemException(file + " is a truncated n-gram table");
        } catch (IOException e) {
            throw new TandemException("cannot read n-gram table " + file + ": " + e.getMessage(), e);
        }
    }

    private int slot(long key) {
        int mask = keys.length - 1;
        int s = (int) (key ^ key >>> 29) & mask;
        while (keys[s] != 0 && keys[s] != key) {
            s = (s + 1) & mask;
        }
        return s;
    }

    /** A 44-bit, never-zero hash of the {@code n} tokens before {@code end}, and of {@code n} itself. */
    static long hash(int[] tokens, int end, int n) {
        long h = 0x243F6A8885A308D3L ^ n;
        for (int i = end - n; i < end; i++) {
            h = (h ^ (tokens[i] + 1)) * 0x9E3779B97F4A7C15L;
            h ^= h >>> 31;
        }
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 32;
        return (h >>> TOKEN_BITS) | 1;
    }
}

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
 * tokens seen in a corpus of the model's own text, its {@link #SUCCESSORS} most frequent next tokens with their
 * counts, and the context's total count. A retrieval datastore in the manner of REST (He et al., 2023) and the
 * corpus-built bottom of CS Drafting's cascade, scaled from a bigram to longer contexts. Greedy drafts take the
 * most frequent successors; sampled drafts draw from the successors' counts, an estimate of the model's own
 * distribution in that context (of a table counted from text sampled at the same temperature). Contexts are kept
 * as 44-bit hashes: a collision can only propose a wrong token, which verification rejects.
 *
 * <p>File layout (little work to read, checked on load): the magic {@code TNDMNGRM}, a version, the
 * vocabulary size, the longest order, the corpus positions counted, the entry count, then per entry its
 * context hash, its total count, the number of successors kept and each one's token and count, big-endian.
 * Version 1 files (one successor per entry: hash, token, count, total) are read too.
 */
public final class NgramTable {
    private static final long MAGIC = 0x544E444D4E47524DL; // "TNDMNGRM"
    private static final int VERSION = 2;
    private static final int TOKEN_BITS = 20;
    private static final long TOKEN_MASK = (1L << TOKEN_BITS) - 1;
    /** Longest context a table may hold: beyond it, a context of a model's own text rarely repeats. */
    public static final int MAX_ORDER = 16;
    /** Next tokens kept per context, most frequent first: what a sampled draft draws from. */
    public static final int SUCCESSORS = 8;

    /** A context's kept next tokens, most frequent first, their counts, and how often the context was seen. */
    public record Successors(int[] tokens, int[] counts, int total) {
        /** Occurrences of the context that the kept successors account for. */
        public long keptCount() {
            long kept = 0;
            for (int c : counts) {
                kept += c;
            }
            return kept;
        }

        /**
         * Successor i's estimated probability of being the model's next token: its count over the context's total + 1
         * (a context seen once is trusted half way), in 1/65536ths.
         */
        public double confidence(int i) {
            return ((long) counts[i] * 65536 / (total + 1L)) / 65536.0;
        }
    }

    private final int vocabSize;
    private final int maxOrder;
    private final long positions;
    private final int entries;
    private final long[] keys;    // open addressing, 0 = empty
    private final int[] entryAt;  // per slot, its entry
    private final int[] first;    // per entry, where its kept successors start in next/count (entries + 1 bounds)
    private final int[] next;     // every entry's kept successors, most frequent first
    private final int[] count;
    private final int[] total;    // per entry

    private NgramTable(int vocabSize, int maxOrder, long positions, long[] entryKeys, Lists successors, int[] entryTotal) {
        this.vocabSize = vocabSize;
        this.maxOrder = maxOrder;
        this.positions = positions;
        this.entries = entryKeys.length;
        int slots = Integer.highestOneBit(Math.max(4, entries * 2 - 1)) << 1;
        keys = new long[slots];
        entryAt = new int[slots];
        first = successors.first;
        next = Arrays.copyOf(successors.next, successors.size);
        count = Arrays.copyOf(successors.count, successors.size);
        total = entryTotal;
        for (int e = 0; e < entries; e++) {
            int s = slot(entryKeys[e]);
            keys[s] = entryKeys[e];
            entryAt[s] = e;
        }
    }

    /**
     * Every entry's kept successors, appended entry by entry and packed end to end (most contexts of sampled
     * text are seen once, so a fixed {@link #SUCCESSORS} per entry would be mostly empty).
     */
    private static final class Lists {
        final int[] first;
        int[] next;
        int[] count;
        int size;

        Lists(int entries) {
            first = new int[entries + 1];
            next = new int[Math.max(16, entries + entries / 2)];
            count = new int[next.length];
        }

        /** Entry {@code e}'s first {@code kept} successors; entries come in order. */
        void add(int e, int[] tokens, int[] counts, int kept) {
            if (size + kept > next.length) {
                next = Arrays.copyOf(next, Math.max(size + kept, next.length + next.length / 2));
                count = Arrays.copyOf(count, next.length);
            }
            System.arraycopy(tokens, 0, next, size, kept);
            System.arraycopy(counts, 0, count, size, kept);
            size += kept;
            first[e + 1] = size;
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
        int[] tot = new int[contexts];
        Lists successors = new Lists(contexts);
        int[] nx = new int[SUCCESSORS];
        int[] c = new int[SUCCESSORS];
        int e = -1;
        for (int i = 0; i < occurrences.length; ) {
            long context = occurrences[i] >>> TOKEN_BITS;
            if (e < 0 || k[e] != context) {
                if (e >= 0) {
                    successors.add(e, nx, c, kept(c));
                    Arrays.fill(c, 0);
                }
                e++;
                k[e] = context;
            }
            int j = i;
            while (j < occurrences.length && occurrences[j] == occurrences[i]) {
                j++;
            }
            tot[e] += j - i;
            keep(nx, c, (int) (occurrences[i] & TOKEN_MASK), j - i);
            i = j;
        }
        if (e >= 0) {
            successors.add(e, nx, c, kept(c));
        }
        return new NgramTable(vocabSize, maxOrder, positions, k, successors, tot);
    }

    private static int kept(int[] c) {
        int kept = 0;
        while (kept < SUCCESSORS && c[kept] > 0) {
            kept++;
        }
        return kept;
    }

    /**
     * Puts (token, n) among a context's kept successors, most frequent first. Tokens arrive in
     * ascending order, so among equal counts the lower id stays ahead.
     */
    private static void keep(int[] nx, int[] c, int token, int n) {
        int i = SUCCESSORS;
        while (i > 0 && c[i - 1] < n) {
            i--;
        }
        if (i == SUCCESSORS) {
            return;
        }
        System.arraycopy(nx, i, nx, i + 1, SUCCESSORS - i - 1);
        System.arraycopy(c, i, c, i + 1, SUCCESSORS - i - 1);
        nx[i] = token;
        c[i] = n;
    }

    /**
     * The kept successors of the longest context ending before {@code end} that was seen at least {@code minTotal}
     * times, else of the longest known context; null where none is known. (A long context seen once or twice
     * says little about the model's distribution there; a shorter one seen often says more.)
     */
    public Successors successors(int[] tokens, int end, int minTotal) {
        int found = -1;
        for (int n = Math.min(maxOrder, end); n >= 1; n--) {
            int s = slot(hash(tokens, end, n));
            if (keys[s] != 0) {
                int e = entryAt[s];
                if (total[e] >= minTotal) {
                    found = e;
                    break;
                }
                if (found < 0) { // the longest known context, unless a shorter one was seen often enough
                    found = e;
                }
            }
        }
        if (found < 0) {
            return null;
        }
        return new Successors(Arrays.copyOfRange(next, first[found], first[found + 1]),
                Arrays.copyOfRange(count, first[found], first[found + 1]), total[found]);
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
                    int e = entryAt[s];
                    out.writeLong(keys[s]);
                    out.writeInt(total[e]);
                    out.writeByte(first[e + 1] - first[e]);
                    for (int i = first[e]; i < first[e + 1]; i++) {
                        out.writeInt(next[i]);
                        out.writeInt(count[i]);
                    }
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
            if (version != VERSION && version != 1) {
                throw new TandemException(file + " is an n-gram table of version " + version + "; this build reads versions 1 and "
                        + VERSION);
            }
            int vocab = d.readInt();
            int order = d.readInt();
            long positions = d.readLong();
            int n = d.readInt();
            long size = Files.size(file);
            long least = version == 1 ? 20L * n : 17L * n; // version 2: hash, total, one successor at least
            if (vocab < 1 || vocab > TOKEN_MASK + 1 || order < 1 || order > MAX_ORDER || n < 0
                    || (version == 1 ? size != 32L + least : size < 32L + least)) {
                throw new TandemException(file + " is a damaged n-gram table: header (vocabulary " + vocab + ", order " + order
                        + ", " + n + " entries) does not match its " + size + " bytes");
            }
            long[] k = new long[n];
            int[] t = new int[n];
            Lists successors = new Lists(n);
            int[] nx = new int[SUCCESSORS];
            int[] c = new int[SUCCESSORS];
            for (int e = 0; e < n; e++) {
                k[e] = d.readLong();
                int kept;
                if (version == 1) {
                    nx[0] = d.readInt();
                    c[0] = d.readInt();
                    t[e] = d.readInt();
                    kept = 1;
                } else {
                    t[e] = d.readInt();
                    kept = d.readUnsignedByte();
                    for (int i = 0; i < Math.min(kept, SUCCESSORS); i++) {
                        nx[i] = d.readInt();
                        c[i] = d.readInt();
                    }
                }
                if (k[e] == 0 || k[e] >>> (64 - TOKEN_BITS) != 0 || kept < 1 || kept > SUCCESSORS || !validSuccessors(nx, c, kept, vocab, t[e])) {
                    throw new TandemException(file + " is a damaged n-gram table: entry " + e + " is invalid");
                }
                successors.add(e, nx, c, kept);
            }
            if (d.read() != -1) {
                throw new TandemException(file + " is a damaged n-gram table: bytes follow its " + n + " entries (header does not match its "
                        + size + " bytes)");
            }
            return new NgramTable(vocab, order, positions, k, successors, t);
        } catch (NoSuchFileException e) {
            throw new TandemException("n-gram table not found: " + file);
        } catch (EOFException e) {
            throw new TandemException(file + " is a truncated n-gram table");
        } catch (IOException e) {
            throw new TandemException("cannot read n-gram table " + file + ": " + e.getMessage(), e);
        }
    }

    /** Tokens in the vocabulary, counts at least 1 and not rising, summing to at most the total. */
    private static boolean validSuccessors(int[] nx, int[] c, int kept, int vocab, int total) {
        long sum = 0;
        for (int i = 0; i < kept; i++) {
            if (nx[i] < 0 || nx[i] >= vocab || c[i] < 1 || (i > 0 && c[i] > c[i - 1])) {
                return false;
            }
            sum += c[i];
        }
        return sum <= total;
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

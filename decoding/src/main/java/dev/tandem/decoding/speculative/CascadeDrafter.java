package dev.tandem.decoding.speculative;

import dev.tandem.core.HostMath;
import dev.tandem.core.TandemException;
import dev.tandem.decoding.Sampler;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.models.Transformer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cascade Speculative Drafting (Chen et al.). Draft models never decode autoregressively: each one only
 * <em>reviews</em> (one forward pass) a draft made by the cascade below it, keeping the prefix it agrees with
 * plus its own next token; the bottom of the cascade is {@link MagDrafter}, which costs nothing (vertical
 * cascade). Early draft positions come from the bigger drafters, later ones from cheaper levels down to
 * MaG (horizontal cascade).
 *
 * <p>The k-matrix is CS Drafting's: levels are the draft models, largest first, then MaG; row 0 belongs to
 * the target, row i to draft level i acting as a reviewer; {@code k[r][j]} is how many more tokens the
 * sub-cascade starting at level j adds to the draft that row r's owner reviews. Reviews accept a token
 * equal to the reviewer's argmax, or, with review lenience l > 1, one with {@code p(x) > q(x) / l} (q = 1
 * for the point-mass proposals below); as in the reference code this leaves the output exact, since the
 * target verifies everything. {@code lenience} > 1 relaxes the target's own verification the same way,
 * the paper's lossy setting.
 */
public final class CascadeDrafter implements Drafter {
    /** Tokens MaG proposes per call at the bottom of the cascade (as in the reference). */
    public static final int MAG_PROPOSAL = 10;

    private final List<DraftModel> models;
    private final MagDrafter mag = new MagDrafter();
    private final int[][] k;
    private final double lenience;
    private final double reviewLenience;

    public CascadeDrafter(List<Transformer> drafts, List<String> names, int[][] k, double lenience, double reviewLenience) {
        if (drafts.isEmpty()) {
            throw new TandemException("a cascade needs at least one draft model level");
        }
        int levels = drafts.size() + 1;
        if (k.length != levels) {
            throw new TandemException("the k-matrix needs " + levels + " rows (target + " + drafts.size()
                    + " draft model level(s)), got " + k.length);
        }
        for (int r = 0; r < levels; r++) {
            if (k[r].length != levels) {
                throw new TandemException("k-matrix row " + r + " needs " + levels + " entries, got " + k[r].length);
            }
            for (int j = 0; j < levels; j++) {
                if (k[r][j] < 0 || (j < r && k[r][j] != 0)) {
                    throw new TandemException("k-matrix entry [" + r + "][" + j + "] = " + k[r][j]
                            + " is invalid: the matrix is upper-triangular with entries >= 0");
                }
            }
            if (Arrays.stream(k[r]).sum() == 0 && r > 0) {
                throw new TandemException("k-matrix row " + r + " asks for no tokens");
            }
        }
        if (Arrays.stream(k[0]).sum() == 0) {
            throw new TandemException("k-matrix row 0 asks for no tokens");
        }
        if (!(lenience >= 1)) {
            throw new TandemException("lenience must be >= 1 (1 is lossless), got " + lenience);
        }
        this.models = new ArrayList<>();
        for (int i = 0; i < drafts.size(); i++) {
            models.add(new DraftModel(names.get(i), drafts.get(i)));
        }
        if (!(reviewLenience >= 1)) {
            throw new TandemException("review lenience must be >= 1, got " + reviewLenience);
        }
        this.k = k;
        this.lenience = lenience;
        this.reviewLenience = reviewLenience;
    }

    /** Parses "4,4;0,10": rows separated by ';', entries by ','. */
    public static int[][] parseK(String text) {
        try {
            return Arrays.stream(text.trim().split(";"))
                    .map(row -> Arrays.stream(row.trim().split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray())
                    .toArray(int[][]::new);
        } catch (NumberFormatException e) {
            throw new TandemException("k-matrix '" + text + "' is not rows of integers like 4,4;0,10");
        }
    }

    @Override
    public String name() {
        return "csd";
    }

    @Override
    public void reset(TokenHistory history) {
        models.forEach(DraftModel::reset);
        mag.reset(history);
    }

    @Override
    public Map<String, Long> draftForwards() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (DraftModel d : models) {
            m.put(d.name(), d.forwards());
        }
        return m;
    }

    @Override
    public Verifier verifier(SamplingParams sampling, DraftTree.Kind kind) {
        return lenience > 1 ? new LenientVerifier(lenience) : Verifiers.exact(kind, sampling);
    }

    @Override
    public DraftTree propose(TokenHistory h, int maxDepth, Sampler sampler) {
        int[] seq = cascade(h, new int[0], 0, maxDepth);
        return DraftTree.chain(seq.length > maxDepth ? Arrays.copyOf(seq, maxDepth) : seq);
    }

    /**
     * The draft that the reviewer of row {@code level} (the target for 0, else draft level - 1) is given:
     * built from the sub-cascades of levels {@code level..} per row {@code level} of the k-matrix.
     */
    private int[] cascade(TokenHistory history, int[] prefix, int level, int budget) {
        int levels = k.length;
        int[] seq = new int[0];
        int want = 0;
        for (int j = level; j < levels && seq.length < budget; j++) {
            want += k[level][j];
            while (seq.length < Math.min(want, budget)) {
                int room = budget - seq.length;
                int[] sub = j == levels - 1
                        ? mag.draft(history, concat(prefix, seq), Math.min(MAG_PROPOSAL, room))
                        : review(j, history, concat(prefix, seq), room);
                if (sub.length == 0) {
                    return seq; // MaG has nothing to offer: stop here
                }
                seq = concat(seq, sub);
            }
        }
        return seq;
    }

    /** Draft model {@code level} reviews the draft its sub-cascade makes: accepted prefix + its own token. */
    private int[] review(int level, TokenHistory history, int[] prefix, int room) {
        DraftModel reviewer = models.get(level);
        int subBudget = Math.min(room, reviewer.maxBatch() - 2);
        int[] proposal = cascade(history, prefix, level + 1, Math.max(0, subBudget - 1));
        float[][] logits = reviewer.score(concat(history.toArray(), prefix), proposal);
        int accepted = 0;
        while (accepted < proposal.length && agrees(logits[accepted], proposal[accepted])) {
            accepted++;
        }
        reviewer.keep(accepted);
        int[] out = Arrays.copyOf(proposal, accepted + 1);
        out[accepted] = dev.tandem.decoding.Sampler.argmax(logits[accepted]);
        return out.length > room ? Arrays.copyOf(out, room) : out;
    }

    private boolean agrees(float[] logits, int token) {
        if (dev.tandem.decoding.Sampler.argmax(logits) == token) {
            return true;
        }
        // q(x) = 1: the proposals below are treated as point masses, as the reference does for MaG
        return reviewLenience > 1 && HostMath.softmax(logits)[token] > 1.0 / reviewLenience;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

package dev.tandem.decoding.speculative;

import dev.tandem.decoding.DecodingClock;
import dev.tandem.decoding.Sampler;
import dev.tandem.decoding.SamplingParams;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The adaptive router ({@code --method auto}): each step it picks one option — plain decoding, or a
 * drafter with a draft size — by the tokens per second it expects from it: (1 + expected accepted
 * tokens) / (expected verification time for its number of rows + its drafting time). Acceptance and
 * drafting time are running averages per option; verification time per row count starts from a
 * calibration on the actual device and follows the measured forward passes. Every option is verified
 * by its own lossless rule, so the router is lossless whatever it picks.
 *
 * <p>In a batched server the verification pass also holds other sequences' rows. An option is then charged
 * what its rows add to such a pass, cost(peers + rows) - cost(peers), not what they cost alone: on a model
 * bound by reading its weights, a few rows beside one row are nearly free, but beside many others each row
 * costs its arithmetic, so drafting turns itself off as the batch widens (and back on as it narrows).
 */
public final class RouterDrafter implements Drafter {
    /**
     * One choice the router can make: a drafter asked for drafts at most {@code depth} deep (null = plain step).
     * A drafter that runs a draft model says what its drafting must cost before it runs: {@code passes} passes a
     * step of a model whose one-row pass costs at least {@code passShare} of the target's, after a pass over the
     * tokens it has not seen. An option that would lose even at that cost with every token accepted is neither
     * tried nor probed.
     */
    public record Option(String name, Drafter drafter, int depth, double passShare, int passes) {
        public Option(String name, Drafter drafter, int depth) {
            this(name, drafter, depth, 0, 0);
        }
    }

    private static final double DECAY = 0.1;   // weight of the newest observation in the running averages
    private static final int TRIALS = 3;        // steps each option gets before the averages are trusted
    /** Trial steps of an option whose drafting is nearly free (a table or lookup): a step's acceptance varies
     *  from none to the whole draft, and such trials cost only their rows. */
    private static final int FREE_TRIALS = 8;
    /** Drafting at most this share of a one-row pass counts as free. */
    private static final double FREE_DRAFTING = 0.05;
    private static final int FIRST_REPROBE = 32;
    /** Steps between probes of a contender: a losing option whose acceptance, CONTENDER_ERRORS standard errors up, would win. */
    private static final int CONTENDER_REPROBE = 8;
    /** Two standard errors: with one, a single unlucky probe after unlucky trials ended an option's chances. */
    private static final double CONTENDER_ERRORS = 2;
    /** Observations a running average weighs as many as (its effective sample size, (2 - DECAY) / DECAY). */
    private static final double EFFECTIVE_STEPS = (2 - DECAY) / DECAY;
    private static final int MAX_REPROBE = 4096;
    /** Share of the time spent decoding that re-probing losing options may lose: each probe is charged the time it
     *  took beyond what the best option would have taken for the tokens it gave (a draft model's probe first
     *  catches its cache up: a thousand tokens cost seconds). */
    private static final double PROBE_SHARE = 0.03;
    private static final double MAX_PROBE_CREDIT_SECONDS = 10;

    /** {@code -Dtandem.router.trace=true}: each step's choice and every option's estimates, on standard error. */
    private static final boolean TRACE = Boolean.getBoolean("tandem.router.trace");
    private final List<Option> options;
    /** The options' drafters, each once (options of several depths share one). */
    private final List<Drafter> drafters;
    private final CostModel cost;
    private final BatchCost batch;
    private final double[] accepted;  // running mean of accepted tokens per step
    private final double[] variance;  // running variance of accepted tokens per step, the uncertainty of that mean
    /** Per option, the running share of its steps that verified r rows: the expected verification time is the
     *  cost of each row count weighted by its share, not the cost of the mean row count, which overcharges an
     *  option that mixes plain steps with long drafts (a pass's cost grows more slowly than its rows). */
    private final double[][] rowShare;
    private final double[] draftSeconds;
    private final long[] steps;         // steps of evidence: its own, and those of its drafter at other depths
    private final long[] chosen;        // steps it ran
    private final long[] probeInterval; // steps until a losing option is tried again; doubles while it keeps losing
    private final long[] nextProbe;
    private final long[] unpromising;   // the step until which an option that could not win even so is not probed
    private final long[] lastRun;       // the step each option last ran
    /** Per option, the seconds of its last step that followed another option's: what a probe really costs (a draft
     *  model first catches its cache up on the steps it missed, which its running drafting time leaves out). */
    private final double[] probeSeconds;
    /** Per option, the history's length when its drafter last ran (options of several depths share one). */
    private final int[] seen;
    private int historySize;
    private int askedDepth; // the depth the current step's drafter was asked for
    private long step;
    private int current = -1;
    private double probeCredit; // seconds of probing earned so far and not yet spent (negative: overspent)
    private boolean probing;    // the current step re-probes a losing option
    private boolean exploring;  // the current step is a trial or a probe, not the best option's
    private int passedOn = -1;  // the option whose trial or probe drafted nothing this step and gave the step away
    private long passedOnNanos; // the time its drafter took to find nothing
    private double probedAgainst; // the best option's expected rate when the current probe was chosen

    public RouterDrafter(List<Option> options, CostModel cost) {
        this.options = List.copyOf(options);
        java.util.Set<Drafter> distinct = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        this.drafters = options.stream().map(Option::drafter).filter(d -> d != null && distinct.add(d)).toList();
        this.cost = cost;
        this.batch = new BatchCost(cost);
        int n = options.size();
        this.accepted = new double[n];
        this.variance = new double[n];
        this.lastRun = new long[n];
        this.probeSeconds = new double[n];
        this.seen = new int[n];
        this.rowShare = new double[n][];
        this.draftSeconds = new double[n];
        this.steps = new long[n];
        this.chosen = new long[n];
        this.probeInterval = new long[n];
        this.nextProbe = new long[n];
        this.unpromising = new long[n];
        java.util.Arrays.fill(probeInterval, FIRST_REPROBE);
        java.util.Arrays.fill(nextProbe, FIRST_REPROBE); // not straight after the trials that showed it losing
        for (int i = 0; i < n; i++) {
            rowShare[i] = new double[CostModel.MAX_ROWS + 1];
            rowShare[i][options.get(i).drafter() == null ? 1 : Math.min(CostModel.MAX_ROWS, 1 + options.get(i).depth())] = 1;
        }
    }

    @Override
    public String name() {
        return "auto";
    }

    @Override
    public void reset(TokenHistory history) {
        for (Option o : options) {
            if (o.drafter() != null) {
                o.drafter().reset(history);
            }
        }
        // A router serves one generation after another (a server slot, the benchmark's prompts). Acceptance belongs to
        // the text, cost to the machine: each free drafter gets a few fresh trial steps on the new text, weighed
        // heavily, so that a stretch it predicted badly in an earlier generation (sampled text that loops) does not
        // keep it out of every later one (it did, for a whole benchmark run at temperature 0.8).
        for (int i = 0; i < options.size(); i++) {
            if (options.get(i).drafter() != null && steps[i] > 0 && draftsFree(i)) {
                steps[i] = Math.min(steps[i], FREE_TRIALS / 2);
            }
        }
    }

    @Override
    public boolean wantsHiddenState() {
        return options.stream().anyMatch(o -> o.drafter() != null && o.drafter().wantsHiddenState());
    }

    @Override
    public void observe(float[] hidden, float[] logits) {
        for (Option o : options) {
            if (o.drafter() != null && o.drafter().wantsHiddenState()) {
                o.drafter().observe(hidden, logits);
            }
        }
    }

    @Override
    public DraftTree propose(TokenHistory history, int maxDepth, Sampler sampler) {
        step++;
        historySize = history.size();
        current = choose();
        passedOn = -1;
        long start = DecodingClock.nanoTime();
        DraftTree tree = draft(current, history, maxDepth, sampler);
        if (tree.size() == 0 && exploring && options.get(current).drafter() != null) {
            int fallback = delegated(best());
            if (fallback != current) {
                // A trial or probe whose drafter has nothing to draft here (prompt lookup without a match) would be a
                // plain step, and could show nothing but that: its evidence is recorded as such a step's, and the
                // step goes to the best option. Prompt lookup's fresh trials on each new text were otherwise mostly
                // plain steps (84 of 840 steps of `bench methods`, 7% of auto's time at temperature 0).
                passedOn = current;
                passedOnNanos = DecodingClock.nanoTime() - start;
                current = fallback;
                probing = false;
                tree = draft(current, history, maxDepth, sampler);
            }
        }
        return tree;
    }

    /** Option i's draft for this step ({@link DraftTree#empty()} for a plain step). */
    private DraftTree draft(int i, TokenHistory history, int maxDepth, Sampler sampler) {
        Option o = options.get(i);
        for (int j = 0; j < options.size(); j++) {
            if (options.get(j).drafter() == o.drafter()) {
                seen[j] = historySize;
            }
        }
        if (o.drafter() == null) {
            return DraftTree.empty();
        }
        askedDepth = Math.min(maxDepth, o.depth());
        return o.drafter().propose(history, askedDepth, sampler);
    }

    /** What a step of option i that drafted nothing in {@code draftNanos} would have shown: none accepted, one row. */
    private void passedOn(int i, long draftNanos) {
        lastRun[i] = step;
        double drafted = draftNanos / 1e9;
        observe(i, 0, 0, drafted);
        observeNested(i, DraftTree.empty(), 0, drafted);
        options.get(i).drafter().verified(DraftTree.empty(), 0, 0, draftNanos); // its verdict, as after any proposal
        if (TRACE) {
            System.err.printf(java.util.Locale.ROOT, "router step %d %s drafted nothing in %.2f ms: the step went to %s%n",
                    step, options.get(i).name(), draftNanos / 1e6, options.get(current).name());
        }
    }

    /**
     * Options not yet tried enough go first; then the best expected rate. A losing option is re-probed
     * after an interval that doubles each time it still loses, and only while probing has not spent more than
     * its share of the time spent decoding, each probe charged what it really cost: a probe of a draft model
     * has to catch its cache up on everything since its last use, so probing must get rarer as the evidence
     * grows and as the probe gets dearer. A contender, a loser that would win were its acceptance two standard
     * errors higher, is re-probed every few steps instead: acceptance varies from none to the whole draft
     * step by step (sampled text above all), so a few unlucky trials must not shut out an option that is as
     * good as the best or better, while one far behind, or always accepted alike, stays rare.
     */
    private int choose() {
        probing = false;
        exploring = true;
        double settled = -1; // the best expected rate among options whose trials are over, computed when first needed
        for (int i = 0; i < options.size(); i++) {
            if (steps[i] < trials(i)) {
                if (settled < 0) {
                    settled = settledRate();
                }
                if (!cannotWin(i, settled)) {
                    return i;
                }
            }
        }
        int best = delegated(best());
        double bestRate = expectedRate(best);
        for (int i = 0; i < options.size() && probeCredit > 0; i++) {
            if (i == best || step < unpromising[i]) {
                continue;
            }
            if (bestCase(i, minDraftSeconds(i)) < bestRate) {
                unpromising[i] = step + CONTENDER_REPROBE; // checked again only then: this loop runs every step
                continue;
            }
            boolean due = step >= nextProbe[i] // then a contender, tested only once its shorter interval is over
                    || step >= lastRun[i] + CONTENDER_REPROBE && optimisticRate(i) > bestRate;
            if (due) {
                probing = true;
                probedAgainst = bestRate;
                nextProbe[i] = step + probeInterval[i];
                probeInterval[i] = Math.min(MAX_REPROBE, probeInterval[i] * 2);
                return i;
            }
        }
        probeInterval[best] = FIRST_REPROBE; // the winner, should it start losing, is re-probed soon
        exploring = false;
        return best;
    }

    /**
     * Whether option i would lose to the best option whose trials are over (expected rate {@code settled}) even if
     * every token it drafts were accepted, at the drafting time its first two trial steps took, or before them at
     * the least it can take: its remaining trials are skipped (it is re-probed like any loser that could win). A
     * draft model's drafting alone can cost more than plain steps gain: in a wide batch, where eight new
     * generations each spent a dozen steps trying one made the first requests 25% slower; and on a model bound by
     * reading its weights, where the target's own first three quarters of layers cost three quarters of a step
     * per drafted token, so two drafted tokens and their verification cost more than three plain steps (a cold
     * JVM spent two of its ten seconds of `generate --method auto` trying them).
     */
    private boolean cannotWin(int i, double settled) {
        if (options.get(i).drafter() == null || steps[i] == 1) {
            return false;
        }
        return bestCase(i, steps[i] >= 2 ? draftSeconds[i] : minDraftSeconds(i)) < settled;
    }

    /** Option i's rate were every token it drafts accepted, its drafting taking {@code drafting} seconds. */
    private double bestCase(int i, double drafting) {
        int depth = options.get(i).depth();
        return (1 + depth) / (drafting + batch.addedSeconds(Math.min(CostModel.MAX_ROWS, 1 + depth)));
    }

    /**
     * The least option i's drafting can take a step: its draft model's passes, and its catching up on the tokens it
     * has not seen (beyond those a step of its own adds) spread over as many steps as the generation has run, at
     * least {@link #FIRST_REPROBE}: what has run so far is the best guess of what is left. A self-draft of three
     * quarters of the layers, first tried at the 40th to 60th step of a cold run, took 0.7-1 s to catch up.
     */
    private double minDraftSeconds(int i) {
        Option o = options.get(i);
        if (o.passShare() == 0) {
            return 0;
        }
        int unseen = historySize - seen[i] - (1 + o.depth());
        double catchUp = unseen > 0 ? cost.seconds(unseen) / Math.max(FIRST_REPROBE, step) : 0;
        return o.passShare() * (o.passes() * cost.seconds(1) + catchUp);
    }

    /** The best expected rate among the options whose trials are over (0 when none is). */
    private double settledRate() {
        double settled = 0;
        for (int j = 0; j < options.size(); j++) {
            if (steps[j] >= trials(j)) {
                settled = Math.max(settled, expectedRate(j));
            }
        }
        return settled;
    }

    /** Trial steps option i gets: more where drafting is nearly free (known after its first step). */
    private int trials(int i) {
        return steps[i] > 0 && draftsFree(i) ? FREE_TRIALS : TRIALS;
    }

    /** Whether option i's drafting costs at most {@link #FREE_DRAFTING} of a one-row pass (a table or lookup). */
    private boolean draftsFree(int i) {
        return draftSeconds[i] <= FREE_DRAFTING * cost.seconds(1);
    }

    /**
     * Where plain steps lead, the best option whose drafter gates itself at nearly no cost of drafting (the n-gram
     * table's sized trees), unless it trails plain steps by more than two errors of its mean: its gate sees each
     * step's own draft and how sure the drafter is of it, which the router's averages over steps cannot, and it
     * proposes a plain step wherever the draft is not worth its rows. Choosing between the two by their noisy
     * averages left the router on plain steps for hundreds of steps at a time after a few bad drafts.
     */
    private int delegated(int best) {
        if (options.get(best).drafter() != null) {
            return best;
        }
        double plainRate = expectedRate(best);
        int gate = -1;
        double gateRate = -1;
        for (int i = 0; i < options.size(); i++) {
            Drafter d = options.get(i).drafter();
            if (d != null && d.gatesItself() && steps[i] >= trials(i) && draftsFree(i) && optimisticRate(i) >= plainRate
                    && expectedRate(i) > gateRate) {
                gate = i;
                gateRate = expectedRate(i);
            }
        }
        return gate < 0 ? best : gate;
    }

    private int best() {
        int best = 0;
        double bestRate = -1;
        for (int i = 0; i < options.size(); i++) {
            double rate = expectedRate(i);
            if (rate > bestRate) {
                bestRate = rate;
                best = i;
            }
        }
        return best;
    }

    /** Expected tokens per second of option i: alone, or per second its rows add to passes shared with others'. */
    public double expectedRate(int i) {
        return (1 + accepted[i]) / stepSeconds(i);
    }

    /**
     * Option i's rate on a probe were its mean acceptance CONTENDER_ERRORS standard errors higher (of a running mean of
     * noisy steps), for a draft model at what its last probe cost: one that must catch up first is no contender. (A
     * drafter with nothing to catch up is charged its estimate: charged its last probe, one slow pass of the n-gram
     * chains' four rows, 67 ms against 48, kept them out for 150 steps at temperature 0.8.)
     */
    private double optimisticRate(int i) {
        double n = Math.min(steps[i], EFFECTIVE_STEPS);
        double seconds = options.get(i).passShare() > 0 ? Math.max(stepSeconds(i), probeSeconds[i]) : stepSeconds(i);
        return (1 + accepted[i] + CONTENDER_ERRORS * Math.sqrt(variance[i] / Math.max(1, n))) / seconds;
    }

    /** Expected seconds of one step of option i: its drafting and the verification of its rows. */
    private double stepSeconds(int i) {
        double seconds = draftSeconds[i];
        for (int rows = 1; rows < rowShare[i].length; rows++) {
            seconds += rowShare[i][rows] == 0 ? 0 : rowShare[i][rows] * batch.addedSeconds(rows);
        }
        return Math.max(seconds, 1e-12);
    }

    @Override
    public void sharedPass(int peers) {
        batch.sharedPass(peers);
        for (Drafter d : drafters) { // their sizers charge rows the same way, or a chosen drafter sizes as if alone
            d.sharedPass(peers);
        }
    }

    @Override
    public void verified(DraftTree tree, int acceptedTokens, long verifyNanos, long draftNanos) {
        int i = current;
        if (i < 0) {
            return;
        }
        if (passedOn >= 0) { // the step's drafting time holds both proposals: the empty one's share is its own
            long own = Math.min(passedOnNanos, draftNanos);
            passedOn(passedOn, own);
            draftNanos -= own;
            passedOn = -1;
        }
        if (lastRun[i] != step - 1) {
            probeSeconds[i] = (verifyNanos + draftNanos) / 1e9;
        }
        lastRun[i] = step;
        chosen[i]++;
        double drafted = draftNanos / 1e9;
        observe(i, acceptedTokens, tree.size(), drafted);
        observeNested(i, tree, acceptedTokens, drafted);
        Option o = options.get(i);
        if (batch.verifiedAlone()) {
            cost.observe(tree.size() + 1, verifyNanos / 1e9);
        }
        double stepSeconds = (verifyNanos + draftNanos) / 1e9;
        // a probe costs the time beyond what the best would have taken for its tokens: a dear draft model's catching
        // up costs nearly all of it, a contender's lucky probe nothing (it earns credit, as it gained time)
        double lost = probing ? stepSeconds - (1 + acceptedTokens) / probedAgainst : 0;
        probeCredit = Math.min(MAX_PROBE_CREDIT_SECONDS, probeCredit + PROBE_SHARE * stepSeconds - lost);
        if (TRACE) {
            trace(tree, acceptedTokens, verifyNanos, draftNanos);
        }
        if (o.drafter() != null) {
            o.drafter().verified(tree, acceptedTokens, verifyNanos, draftNanos); // drafters that size their drafts learn too
        }
    }

    /**
     * Option i's chain, for its drafter's options of other depths where it nests chains: they would have drafted this
     * chain's first tokens, and had as many accepted: the whole chain where it ended short of the depth asked, else
     * those no deeper than it.
     */
    private void observeNested(int i, DraftTree tree, int acceptedTokens, double drafted) {
        Drafter d = options.get(i).drafter();
        if (d == null || !d.nestsChains()) {
            return;
        }
        for (int j = 0; j < options.size(); j++) {
            int depth = options.get(j).depth();
            if (j != i && options.get(j).drafter() == d && (tree.size() < askedDepth || depth <= tree.size())) {
                int drafts = Math.min(tree.size(), depth);
                observe(j, Math.min(acceptedTokens, depth), drafts, drafted * drafts / Math.max(1, tree.size()));
                lastRun[j] = step; // its drafter is as caught up, and a probe would tell nothing new
                nextProbe[j] = Math.max(nextProbe[j], step + probeInterval[j]);
            }
        }
    }

    /** One step's evidence for option i: tokens accepted of {@code drafts} drafted, in {@code drafted} seconds. */
    private void observe(int i, int acceptedTokens, int drafts, double drafted) {
        // a plain mean until the running average weighs as many steps (one begun at the first step would be mostly
        // that one step), then running
        double w = Math.max(DECAY, 1.0 / (steps[i] + 1));
        double deviation = acceptedTokens - accepted[i];
        accepted[i] += w * deviation;
        variance[i] = (1 - w) * (variance[i] + w * deviation * deviation);
        int rows = Math.min(drafts + 1, rowShare[i].length - 1);
        for (int r = 1; r < rowShare[i].length; r++) {
            rowShare[i][r] *= 1 - w;
        }
        rowShare[i][rows] += w;
        // the trials keep their fastest (the first steps of a drafter run before the JIT compiled it); later
        // pauses count as at most twice the estimate
        draftSeconds[i] = steps[i] == 0 ? drafted : steps[i] < trials(i) ? Math.min(draftSeconds[i], drafted)
                : draftSeconds[i] + DECAY * (CostModel.clipped(drafted, draftSeconds[i]) - draftSeconds[i]);
        steps[i]++;
    }

    private void trace(DraftTree tree, int acceptedTokens, long verifyNanos, long draftNanos) {
        StringBuilder sb = new StringBuilder(String.format(java.util.Locale.ROOT, "router step %d %s%s rows %d accepted %d verify %.1f ms draft %.2f ms |",
                step, options.get(current).name(), probing ? " (probe)" : "", tree.size() + 1, acceptedTokens, verifyNanos / 1e6, draftNanos / 1e6));
        for (int j = 0; j < options.size(); j++) {
            sb.append(String.format(java.util.Locale.ROOT, " %s: n %d accepted %.2f draft %.2f ms rate %.1f/s best case %.1f/s;",
                    options.get(j).name(), steps[j], accepted[j], draftSeconds[j] * 1e3, expectedRate(j),
                    options.get(j).drafter() == null ? expectedRate(j) : bestCase(j, minDraftSeconds(j))));
        }
        System.err.println(sb);
    }

    @Override
    public Verifier verifier(SamplingParams sampling, DraftTree.Kind kind) {
        Option o = options.get(Math.max(0, current));
        return o.drafter() == null ? Verifiers.exact(kind, sampling) : o.drafter().verifier(sampling, kind);
    }

    @Override
    public Map<String, Long> events() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < options.size(); i++) {
            m.put("auto:" + options.get(i).name(), chosen[i]);
        }
        return m;
    }

    @Override
    public Map<String, Long> draftForwards() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Option o : options) {
            if (o.drafter() != null) {
                o.drafter().draftForwards().forEach((k, v) -> m.merge(k, v, Math::max)); // shared models count once
            }
        }
        return m;
    }

    /** Name of the option chosen by the last {@link #propose}. */
    public String currentOption() {
        return current < 0 ? null : options.get(current).name();
    }
}

package dev.tandem.decoding.speculative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.decoding.Sampler;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The router follows measured acceptance and measured cost (a simulated target; no model needed). */
class RouterDrafterTest {
    /** Proposes a 4-token chain. */
    record Fake(String name) implements Drafter {
        public DraftTree propose(TokenHistory h, int maxDepth, Sampler s) {
            return DraftTree.chain(new int[Math.min(4, maxDepth)]);
        }
    }

    /**
     * 1000 simulated steps: "good" drafts get 3 of 4 tokens accepted, "bad" none; the target's forward
     * pass costs what the cost model says. Returns the router's step count per option.
     */
    private static Map<String, Long> run(CostModel cost) {
        return run(cost, List.of(new RouterDrafter.Option("ar", null, 0), new RouterDrafter.Option("good", new Fake("good"), 4),
                new RouterDrafter.Option("bad", new Fake("bad"), 4)), Map.of());
    }

    /** The same with the given options; drafting with option X takes {@code draftSeconds.get(X)}. */
    private static Map<String, Long> run(CostModel cost, List<RouterDrafter.Option> options, Map<String, Double> draftSeconds) {
        RouterDrafter r = new RouterDrafter(options, cost);
        TokenHistory h = new TokenHistory(new int[] {1});
        for (int i = 0; i < 1000; i++) {
            DraftTree t = r.propose(h, 8, null);
            int accepted = "good".equals(r.currentOption()) ? 3 : 0;
            long draftNanos = (long) (draftSeconds.getOrDefault(r.currentOption(), 0.0) * 1e9);
            r.verified(t, accepted, (long) (cost.seconds(t.size() + 1) * 1e9), draftNanos);
        }
        return r.events();
    }

    @Test
    void picksTheDrafterWhenRowsAreCheapAndPlainStepsWhenEachRowCosts() {
        // extra rows nearly free (memory-bound): 4 tokens a step from "good" beat 1 from "ar"
        Map<String, Long> cheapRows = run(CostModel.linear(1e-3, 1e-6));
        assertTrue(cheapRows.get("auto:good") > 900, cheapRows.toString());
        // every row costs a full step (compute-bound, like stories260K on a CPU): plain steps win
        Map<String, Long> costlyRows = run(CostModel.linear(0, 1e-3));
        assertTrue(costlyRows.get("auto:ar") > 900, costlyRows.toString());
        assertTrue(costlyRows.get("auto:bad") < 20, "a losing option is probed ever more rarely: " + costlyRows);
    }

    @Test
    void aDearProbeIsRepeatedOnlyAsOftenAsItsShareOfTheTimeAllows() {
        // "bad" and "dear" never win; a probe of "dear" costs 50 steps (a draft model catching up on its cache)
        CostModel cost = CostModel.linear(0, 1e-3);
        Map<String, Long> e = run(cost, List.of(new RouterDrafter.Option("ar", null, 0), new RouterDrafter.Option("bad", new Fake("bad"), 4),
                new RouterDrafter.Option("dear", new Fake("dear"), 4)), Map.of("dear", 50e-3));
        assertTrue(e.get("auto:dear") <= 4, "3 trials and at most one probe in 1000 steps: " + e);
        assertTrue(e.get("auto:ar") >= 985, "probes stay within their share of the time: " + e);
    }

    /**
     * A free drafter whose first two drafts fail and every later one is mostly accepted wins once its trials
     * end: the trials are averaged as a plain mean over eight steps, not as a running average that is mostly
     * the first step (which kept it out for about 50 of 200 steps here).
     */
    @Test
    void aFreeDrafterIsJudgedOnAllItsTrialsNotOnItsFirstStep() {
        CostModel cost = CostModel.linear(1e-3, 2e-4); // 5 rows cost 1.7 one-row steps: 4 tokens for them win
        RouterDrafter r = new RouterDrafter(List.of(new RouterDrafter.Option("ar", null, 0),
                new RouterDrafter.Option("flaky", new Fake("flaky"), 4)), cost);
        TokenHistory h = new TokenHistory(new int[] {1});
        int flakySteps = 0;
        for (int i = 0; i < 200; i++) {
            DraftTree t = r.propose(h, 8, null);
            int accepted = "flaky".equals(r.currentOption()) && flakySteps++ > 1 ? 3 : 0;
            r.verified(t, accepted, (long) (cost.seconds(t.size() + 1) * 1e9), 0);
        }
        Map<String, Long> e = r.events();
        assertTrue(e.get("auto:ar") <= 12, "plain steps only as its own trials and re-probes: " + e);
    }

    /**
     * Steps of 400 that the noisy drafter (unlucky trials, then its chain accepted whole or not at all, at random)
     * runs beside plain steps, per seed 1..{@code seeds}; with {@code slowProbes}, a third of its steps after another
     * option's take twice as long to verify.
     */
    private static List<Integer> noisyRuns(CostModel cost, int seeds, boolean slowProbes) {
        int[] trials = {0, 0, 3, 0, 0, 0, 0, 0};
        List<Integer> noisySteps = new java.util.ArrayList<>();
        for (int seed = 1; seed <= seeds; seed++) {
            RouterDrafter r = new RouterDrafter(List.of(new RouterDrafter.Option("ar", null, 0),
                    new RouterDrafter.Option("noisy", new Fake("noisy"), 4)), cost);
            TokenHistory h = new TokenHistory(new int[] {1});
            java.util.Random random = new java.util.Random(seed);
            int noisy = 0;
            String last = "";
            for (int i = 0; i < 400; i++) {
                DraftTree t = r.propose(h, 8, null);
                int accepted = 0;
                double seconds = cost.seconds(t.size() + 1);
                if ("noisy".equals(r.currentOption())) {
                    accepted = noisy < trials.length ? trials[noisy] : random.nextBoolean() ? 3 : 0;
                    noisy++;
                    seconds *= slowProbes && !last.equals("noisy") && random.nextInt(3) == 0 ? 2 : 1;
                }
                last = r.currentOption();
                r.verified(t, accepted, (long) (seconds * 1e9), 0);
            }
            noisySteps.add(noisy);
        }
        return noisySteps;
    }

    /**
     * Sampled text: a drafter whose chain is accepted whole half the time and not at all otherwise (1.5 tokens
     * a step on average, 2.5 tokens for a 2.0 ms pass against plain decoding's 1 for 1.2 ms: 1.5x) has unlucky
     * trials, one success in eight, and then random luck (six seeds). It trails plain steps by less than two
     * errors of its noisy mean, so it is re-probed every few steps (each probe charged only the time it lost
     * against plain steps) until its mean shows: it wins in at least five runs of six. Re-probed only at doubling
     * intervals with every probe charged in full, it won in one of six (12 to 342 of 400 steps).
     */
    @Test
    void aNoisyDrafterWithUnluckyTrialsIsProbedUntilItsMeanShows() {
        CostModel cost = CostModel.linear(1e-3, 2e-4);
        List<Integer> noisySteps = noisyRuns(cost, 6, false);
        assertTrue(noisySteps.stream().filter(n -> n >= 250).count() >= 5, "steps drafted of 400, per seed: " + noisySteps);
        // one that never drafts right is no contender (its acceptance does not vary): probed at doubling intervals
        Map<String, Long> e = run(cost, List.of(new RouterDrafter.Option("ar", null, 0),
                new RouterDrafter.Option("bad", new Fake("bad"), 4)), Map.of());
        assertTrue(e.get("auto:bad") <= 8 + 6, "8 trials and probes at 32, 64, ... 512 steps at most: " + e);
    }

    /**
     * Option name -> steps over {@code steps} simulated steps from a prompt of {@code prompt} tokens, every drafted
     * token accepted and drafting costing each option's draft model passes at its share of a one-row pass (the
     * draft models' catching up on the prompt is left out: what counts is whether the router tries them).
     */
    private static Map<String, Long> perfectDraftModels(CostModel cost, int prompt, int steps, RouterDrafter.Option... models) {
        List<RouterDrafter.Option> options = new java.util.ArrayList<>(List.of(new RouterDrafter.Option("ar", null, 0)));
        options.addAll(List.of(models));
        RouterDrafter r = new RouterDrafter(options, cost);
        TokenHistory h = new TokenHistory(new int[prompt]);
        for (int i = 0; i < steps; i++) {
            DraftTree t = r.propose(h, 8, null);
            RouterDrafter.Option o = options.stream().filter(x -> x.name().equals(r.currentOption())).findFirst().orElseThrow();
            r.verified(t, t.size(), (long) (cost.seconds(t.size() + 1) * 1e9), (long) (o.passes() * o.passShare() * cost.seconds(1) * 1e9));
            for (int k = 0; k <= t.size(); k++) {
                h.add(0);
            }
        }
        return r.events();
    }

    /**
     * Rows cost half a one-row pass each (4 rows verified beside the root cost 3 passes): a self-draft of three
     * quarters of the target's layers loses to plain steps even were every token it drafts accepted (5 tokens for
     * 4 x 0.75 + 3 passes), so it is never tried, nor probed; a draft model a twentieth of the target's cost wins
     * and runs (before, the self-draft got its three trials and a probe at every doubling interval).
     */
    @Test
    void aDraftModelThatCannotPayIsNeverTried() {
        CostModel cost = CostModel.linear(1e-3, 1e-3 / 2);
        Map<String, Long> e = perfectDraftModels(cost, 8, 1000, new RouterDrafter.Option("self", new Fake("self"), 4, 0.75, 4),
                new RouterDrafter.Option("small", new Fake("small"), 4, 0.05, 4));
        assertEquals(0, e.get("auto:self"), e.toString());
        assertTrue(e.get("auto:small") > 150, e.toString()); // 5 tokens a step: about 200 steps make 1000 tokens
    }

    /**
     * The same small draft model after an 8000-token prompt: catching up costs it about 0.2 s (a twentieth of an
     * 8000-row pass, 4 s); spread over the steps run so far (at least 32), it is not worth trying in the first 40
     * steps, and is once the generation has run long enough for the catching up to pay (from about the 60th).
     */
    @Test
    void aDraftModelIsTriedOnceItsCatchingUpCanPay() {
        CostModel cost = CostModel.linear(1e-3, 1e-3 / 2);
        RouterDrafter.Option small = new RouterDrafter.Option("small", new Fake("small"), 4, 0.05, 4);
        Map<String, Long> early = perfectDraftModels(cost, 8000, 40, small);
        assertEquals(0, early.get("auto:small"), early.toString());
        Map<String, Long> later = perfectDraftModels(cost, 8000, 1000, small);
        assertTrue(later.get("auto:small") > 100, later.toString());
    }

    /**
     * The noisy drafter above, a third of its steps after another option's taking twice as long to verify (as a
     * pass now and then does, which the cost model also learns): with nothing to catch up, a slow probe does not end
     * its being a contender, and it drafts most steps in at least 12 of 20 seeded runs (14; judged at its last
     * probe's time, as a draft model catching up must be, in 9).
     */
    @Test
    void aSlowProbeDoesNotShutOutAFreeDrafter() {
        List<Integer> noisySteps = noisyRuns(CostModel.linear(1e-3, 2e-4), 20, true);
        assertTrue(noisySteps.stream().filter(n -> n >= 250).count() >= 12, "steps drafted of 400, per seed: " + noisySteps);
    }

    /** A 4-token chain whose first d tokens are what it drafts when asked for d (as lookup's and a draft model's). */
    record Nesting(String name) implements Drafter {
        public DraftTree propose(TokenHistory h, int maxDepth, Sampler s) {
            return DraftTree.chain(new int[Math.min(4, maxDepth)]);
        }

        public boolean nestsChains() {
            return true;
        }
    }

    /**
     * A chain drafter offered 4 and 2 deep, the deeper first, its chains accepted whole and not at all in turn: each
     * step of the 4-deep option (3 tokens for 5 rows a step on average) also tells what the 2-deep one would have had
     * accepted (2 tokens for 3 rows, half the time), so the 2-deep option, which could win were every token accepted
     * but loses, is never run in 200 steps: no trials, no probes (without that evidence it ran 104 of them).
     */
    @Test
    void aChainsStepsCountForItsShallowerOptions() {
        CostModel cost = CostModel.linear(1e-3, 5e-4);
        Nesting chains = new Nesting("chains");
        RouterDrafter r = new RouterDrafter(List.of(new RouterDrafter.Option("ar", null, 0),
                new RouterDrafter.Option("chains-4", chains, 4), new RouterDrafter.Option("chains-2", chains, 2)), cost);
        TokenHistory h = new TokenHistory(new int[] {1});
        for (int i = 0; i < 200; i++) {
            DraftTree t = r.propose(h, 8, null);
            r.verified(t, i % 2 == 0 ? t.size() : 0, (long) (cost.seconds(t.size() + 1) * 1e9), 0);
        }
        Map<String, Long> e = r.events();
        assertEquals(0, e.get("auto:chains-2"), e.toString());
        assertTrue(e.get("auto:chains-4") > 180, e.toString());
    }

    /**
     * One router, two generations (as a server slot or the benchmark runs them): in the first, a free drafter has 3 of
     * 4 tokens accepted for 60 steps, then none for 150 (text that loops), and the router moves to plain steps; in the
     * second its drafts are accepted again. The new generation gives it fresh trial steps, so it drafts most of the
     * second one's 200 steps (the parent's router, which carried the stale estimate over, drafted none of them).
     */
    @Test
    void aNewGenerationGivesAFreeDrafterFreshTrials() {
        CostModel cost = CostModel.linear(1e-3, 2e-4);
        RouterDrafter r = new RouterDrafter(List.of(new RouterDrafter.Option("ar", null, 0),
                new RouterDrafter.Option("textual", new Fake("textual"), 4)), cost);
        r.reset(new TokenHistory(new int[] {1}));
        TokenHistory h = new TokenHistory(new int[] {1});
        for (int i = 0; i < 210; i++) {
            DraftTree t = r.propose(h, 8, null);
            int accepted = "textual".equals(r.currentOption()) && i < 60 ? 3 : 0;
            r.verified(t, accepted, (long) (cost.seconds(t.size() + 1) * 1e9), 0);
        }
        long before = r.events().get("auto:textual");
        r.reset(new TokenHistory(new int[] {2}));
        for (int i = 0; i < 200; i++) {
            DraftTree t = r.propose(h, 8, null);
            int accepted = "textual".equals(r.currentOption()) ? 3 : 0;
            r.verified(t, accepted, (long) (cost.seconds(t.size() + 1) * 1e9), 0);
        }
        long second = r.events().get("auto:textual") - before;
        assertTrue(second > 150, "steps drafted in the second generation: " + second);
    }

    /** A drafter that gates itself: a 4-token chain where the context is predictable (all but one accepted), none elsewhere. */
    static final class Gated implements Drafter {
        final java.util.Random random = new java.util.Random(3);
        final boolean knows;     // false: it drafts everywhere, and is always wrong
        int predictableAfter;    // steps of unpredictable text first (unlucky trials)
        boolean predictable;

        Gated(boolean knows, int predictableAfter) {
            this.knows = knows;
            this.predictableAfter = predictableAfter;
        }

        public String name() {
            return "gated";
        }

        public boolean gatesItself() {
            return true;
        }

        public DraftTree propose(TokenHistory h, int maxDepth, Sampler s) {
            predictable = knows && predictableAfter-- <= 0 && random.nextInt(10) < 3;
            return knows && !predictable ? DraftTree.empty() : DraftTree.chain(new int[Math.min(4, maxDepth)]);
        }
    }

    /**
     * Where plain steps lead, a free drafter that gates itself takes the step unless it trails by more than its
     * error: its trials met only unpredictable text (plain steps, tied with plain decoding's), yet it runs from then
     * on and drafts on the 30% of steps it can (1.9 tokens for 1.44 ms against 1 for 1.2 ms). One that drafts
     * everywhere and is always wrong (it cannot tell) is not delegated to: plain steps and its re-probes only.
     */
    @Test
    void aDrafterThatGatesItselfTakesThePlainStepsUnlessItIsClearlyWorse() {
        CostModel cost = CostModel.linear(1e-3, 2e-4);
        for (boolean knows : new boolean[] {true, false}) {
            Gated gated = new Gated(knows, 30);
            RouterDrafter r = new RouterDrafter(List.of(new RouterDrafter.Option("ar", null, 0),
                    new RouterDrafter.Option("gated", gated, 4)), cost);
            TokenHistory h = new TokenHistory(new int[] {1});
            for (int i = 0; i < 400; i++) {
                DraftTree t = r.propose(h, 8, null);
                int accepted = "gated".equals(r.currentOption()) && gated.predictable ? 3 : 0;
                r.verified(t, accepted, (long) (cost.seconds(t.size() + 1) * 1e9), 0);
            }
            long steps = r.events().get("auto:gated");
            assertTrue(knows ? steps >= 380 : steps <= 8 + 6, (knows ? "runs after its trials: " : "plain steps: ") + r.events());
        }
    }

    /**
     * In a batched server: rows that are nearly free alone (a fixed cost per pass, reading the weights) cost
     * their arithmetic next to 8 rows of other sequences, so the router drafts alone, stops drafting while
     * the batch is wide, and drafts again once it is alone again. Times in a shared pass are not taken as
     * what the option's rows cost (they would make the cost model say rows are dear when alone).
     */
    @Test
    void draftingTurnsOffWhileTheBatchIsWideAndOnAgainAlone() {
        CostModel cost = CostModel.linear(1e-3, 2e-4);
        RouterDrafter r = new RouterDrafter(List.of(new RouterDrafter.Option("ar", null, 0),
                new RouterDrafter.Option("good", new Fake("good"), 4)), cost);
        TokenHistory h = new TokenHistory(new int[] {1});
        int[] peersByPhase = {0, 8, 0};
        long[] goodSteps = new long[3];
        for (int phase = 0; phase < 3; phase++) {
            int peers = peersByPhase[phase];
            for (int i = 0; i < 300; i++) {
                DraftTree t = r.propose(h, 8, null);
                boolean good = "good".equals(r.currentOption());
                if (good && i >= 100) { // after 100 steps to adapt
                    goodSteps[phase]++;
                }
                r.sharedPass(peers);
                r.verified(t, good ? 3 : 0, (long) (cost.seconds(peers + t.size() + 1) * 1e9), 0);
            }
        }
        // alone: 4 tokens in a 2.0 ms pass beat 1 token in 1.2 ms; beside 8 rows: 4 tokens for the 1.0 ms their
        // 5 rows add lose to 1 token for the 0.2 ms one row adds
        assertTrue(goodSteps[0] >= 190, "drafts alone: " + java.util.Arrays.toString(goodSteps));
        assertTrue(goodSteps[1] <= 10, "plain steps beside 8 other rows (re-probes only): " + java.util.Arrays.toString(goodSteps));
        assertTrue(goodSteps[2] >= 190, "drafts again alone: " + java.util.Arrays.toString(goodSteps));
        assertTrue(Math.abs(cost.seconds(1) - 1.2e-3) < 1e-9, "shared passes leave the cost of rows alone as it was: " + cost.seconds(1));
    }

    /** Each option's drafter hears of the other sequences' rows too (once, though two options share it), so its sizer prices rows as the router does. */
    @Test
    void sharedPassesReachEveryOptionsDrafterOnce() {
        List<Integer> heard = new java.util.ArrayList<>();
        Drafter listening = new Drafter() {
            public String name() {
                return "listening";
            }

            public DraftTree propose(TokenHistory h, int maxDepth, Sampler s) {
                return DraftTree.chain(new int[Math.min(2, maxDepth)]);
            }

            public void sharedPass(int peerRows) {
                heard.add(peerRows);
            }
        };
        RouterDrafter r = new RouterDrafter(List.of(new RouterDrafter.Option("ar", null, 0),
                new RouterDrafter.Option("listening-2", listening, 2), new RouterDrafter.Option("listening-4", listening, 4)),
                CostModel.linear(1e-3, 2e-4));
        r.sharedPass(8);
        r.sharedPass(0);
        assertEquals(List.of(8, 0), heard);
    }

    /**
     * An option that would lose even if every drafted token were accepted (its drafting costs more than plain
     * steps gain, as a draft model's does in a wide batch) stops its trials after two steps; one that could
     * win gets all three.
     */
    @Test
    void anOptionThatCannotWinEvenWithEveryTokenAcceptedEndsItsTrialsEarly() {
        CostModel cost = CostModel.linear(1e-3, 2e-4);
        for (int peers : new int[] {8, 0}) {
            RouterDrafter r = new RouterDrafter(List.of(new RouterDrafter.Option("ar", null, 0),
                    new RouterDrafter.Option("dear", new Fake("dear"), 4)), cost);
            TokenHistory h = new TokenHistory(new int[] {1});
            for (int i = 0; i < 30; i++) {
                DraftTree t = r.propose(h, 8, null);
                r.sharedPass(peers);
                // "dear" takes 3 ms to draft 4 tokens, all accepted: 5 tokens for 3 ms + its rows
                boolean dear = "dear".equals(r.currentOption());
                r.verified(t, dear ? 4 : 0, (long) (cost.seconds(peers + t.size() + 1) * 1e9), dear ? 3_000_000 : 0);
            }
            long dearSteps = r.events().get("auto:dear");
            if (peers == 8) { // beside 8 rows a plain step adds 0.2 ms: 5000 tokens/s against at most 5 / 4 ms
                assertTrue(dearSteps == 2, "two trials, then no more until its re-probe: " + r.events());
            } else { // alone: 5 tokens in 5 ms against 1 in 1.2 ms: it wins
                assertTrue(dearSteps == 30 - 8, "it can win alone: every step after plain decoding's 8 trials: " + r.events());
            }
        }
    }

    /** Prompt lookup on text without repeats: nothing to draft, ever; counts its proposals and verdicts. */
    static final class NothingToDraft implements Drafter {
        int proposals;
        int verdicts;

        public String name() {
            return "lookup";
        }

        public DraftTree propose(TokenHistory h, int maxDepth, Sampler s) {
            proposals++;
            return DraftTree.empty();
        }

        public void verified(DraftTree tree, int accepted, long verifyNanos, long draftNanos) {
            verdicts++;
        }
    }

    /**
     * A drafter tried or probed that has nothing to draft gives the step to the best option: its trials at the start of
     * each of ten generations (a free drafter gets fresh ones on new text) cost no plain steps, yet count as its
     * evidence (its proposals, each followed by its verdict). Before, each trial was a plain step of its own: about 45
     * of these 500 steps.
     */
    @Test
    void anOptionWithNothingToDraftGivesItsTrialStepToTheBest() {
        CostModel cost = CostModel.linear(1e-3, 2e-4);
        NothingToDraft lookup = new NothingToDraft();
        RouterDrafter r = new RouterDrafter(List.of(new RouterDrafter.Option("ar", null, 0),
                new RouterDrafter.Option("good", new Fake("good"), 4), new RouterDrafter.Option("lookup", lookup, 4)), cost);
        TokenHistory h = new TokenHistory(new int[] {1});
        for (int generation = 0; generation < 10; generation++) {
            r.reset(h);
            for (int i = 0; i < 50; i++) {
                DraftTree t = r.propose(h, 8, null);
                int accepted = "good".equals(r.currentOption()) ? 3 : 0;
                r.verified(t, accepted, (long) (cost.seconds(t.size() + 1) * 1e9), 0);
            }
        }
        Map<String, Long> e = r.events();
        assertEquals(0, e.get("auto:lookup"), "steps run by the drafter with nothing to draft: " + e);
        assertTrue(lookup.proposals >= 10 * 4, "its trials still ran (4 fresh ones a generation): " + lookup.proposals);
        assertEquals(lookup.proposals, lookup.verdicts, "every proposal gets its verdict");
        assertTrue(e.get("auto:ar") <= 10, "plain steps: plain decoding's own trials and re-probes only: " + e);
    }
}

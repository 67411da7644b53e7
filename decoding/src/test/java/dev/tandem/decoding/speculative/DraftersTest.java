package dev.tandem.decoding.speculative;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.TandemException;
import java.util.List;
import org.junit.jupiter.api.Test;

class DraftersTest {
    @Test
    void lookupCopiesWhatFollowedTheLongestEarlierMatch() {
        TokenHistory h = new TokenHistory(new int[] {1, 5, 6, 7, 8, 9, 2, 6, 7, 3, 5, 6, 7});
        DraftTree t = new LookupDrafter(3, 1, 64).propose(h, 4, null);
        // "5 6 7" first occurs at index 1 and was followed by 8 9 2 6
        assertArrayEquals(new int[] {8, 9, 2, 6}, t.tokens());
        assertEquals(DraftTree.Kind.DETERMINISTIC, t.kind());
    }

    @Test
    void lookupTreeMergesSeveralMatches() {
        TokenHistory h = new TokenHistory(new int[] {4, 7, 1, 4, 7, 2, 4, 7, 1, 3, 4, 7});
        DraftTree t = new LookupDrafter(2, 3, 64).propose(h, 2, null);
        // matches of "4 7" at 0, 3, 6 continue with [1 4], [2 4], [1 3]: a trie with two roots
        assertEquals(2, t.children(-1).length);
        assertEquals(5, t.size());
        assertEquals(2, t.maxDepth());
    }

    @Test
    void lookupWithNoMatchProposesNothing() {
        assertTrue(new LookupDrafter(3, 1, 64).propose(new TokenHistory(new int[] {1, 2, 3}), 5, null).isEmpty());
    }

    @Test
    void magFallsBackToTheBigramTable() {
        MagDrafter mag = new MagDrafter();
        TokenHistory h = new TokenHistory(new int[] {1, 9, 3, 9, 3, 9, 4, 3});
        mag.reset(h);
        // the suffix "3" occurs earlier (followed by 9 then...), so MaG copies; draft 6 tokens
        int[] d = mag.propose(h, 6, null).tokens();
        assertEquals(6, d.length);
        assertEquals(9, d[0]);
        TokenHistory fresh = new TokenHistory(new int[] {1, 5});
        mag.reset(fresh);
        assertEquals(0, mag.propose(fresh, 3, null).size(), "no match and no bigram yet: nothing to propose");
    }

    @Test
    void sparseTreeFollowsChoicesAndAddsPrefixes() {
        int[][] tokens = {{10, 11, 12}, {20, 21}, {30}};
        DraftTree t = TreeBuilder.sparse(List.of(new int[] {0, 0, 0}, new int[] {1}, new int[] {0, 1}), tokens, 5);
        // paths: (0) (1) (0,0) (0,1) (0,0,0)
        assertArrayEquals(new int[] {10, 11, 20, 21, 30}, t.tokens());
        assertArrayEquals(new int[] {-1, -1, 0, 0, 2}, t.parents());
    }

    @Test
    void dynamicTreeTakesTheMostProbablePathsWithinBudget() {
        int[][] tokens = {{10, 11}, {20, 21}};
        float[][] probs = {{0.6f, 0.4f}, {0.9f, 0.1f}};
        DraftTree t = TreeBuilder.dynamic(tokens, probs, 3, 2);
        // scores: (0)=.6 (0,0)=.54 (1)=.4 (0,1)=.06: the best three
        assertArrayEquals(new int[] {10, 11, 20}, t.tokens());
        assertArrayEquals(new int[] {-1, -1, 0}, t.parents());
        assertEquals(1, TreeBuilder.dynamic(tokens, probs, 5, 1).maxDepth(), "depth limit");
    }

    @Test
    void bestFirstOrderListsParentsBeforeChildrenWithTheirScores() {
        int[][] tokens = {{10, 11}, {20, 21}};
        float[][] probs = {{0.6f, 0.4f}, {0.9f, 0.1f}};
        TreeBuilder.Ranked r = TreeBuilder.bestFirst(tokens, probs, 4, 2);
        assertEquals(4, r.size());
        assertArrayEquals(new double[] {0.6, 0.54, 0.4, 0.36}, r.scores(), 1e-6); // (0) (0,0) (1) (1,0)
        assertEquals(2, r.depth(2));
        assertEquals(1, r.depth(1));
        DraftTree two = r.tree(2, tokens);
        assertArrayEquals(new int[] {10, 20}, two.tokens());
        assertArrayEquals(new int[] {-1, 0}, two.parents());
        assertEquals(0, r.tree(0, tokens).size());
    }

    @Test
    void sizerDraftsWhatRowsCanPayFor() {
        double[] scores = {0.9, 0.5, 0.1};
        // rows nearly free: every node with a chance of being accepted is worth its row
        assertEquals(3, new DraftSizer(CostModel.linear(1e-3, 1e-9), true).size(scores));
        // each row costs a full step: no draft can pay (its tokens would have to be certain)
        assertEquals(0, new DraftSizer(CostModel.linear(0, 1e-3), true).size(scores));
        // two rows cost 4/3 of one: a node pays when it is accepted more than a third of the time
        DraftSizer third = new DraftSizer(CostModel.linear(1e-3, 0.5e-3), true);
        assertEquals(1, third.size(new double[] {0.9, 0.3}));
        assertEquals(1, third.size(new double[] {0.4}));
        assertEquals(0, third.size(new double[] {0.3}));
    }

    @Test
    void sizerLearnsThatOverconfidentDraftsFail() {
        DraftSizer s = new DraftSizer(CostModel.linear(1e-3, 0.5e-3), true);
        double[] scores = {0.7};
        assertEquals(1, s.size(scores));
        for (int i = 0; i < 200 && s.size(scores) == 1; i++) {
            s.verified(2, 0, 2_000_000); // never accepted; two rows took what the cost model says
        }
        assertTrue(s.calibration() < 0.7, "calibration " + s.calibration());
        assertEquals(0, s.size(scores), "a draft the target keeps rejecting stops being verified");
    }

    @Test
    void sizerMeasuresItsCalibrationAgainAfterItStoppedDrafting() {
        double[] scores = {0.7};
        DraftSizer s = overconfident();
        // nothing drafted, so nothing measured: the calibration drifts back to 1 until a draft is tried again
        int plainSteps = 0;
        while (s.size(scores) == 0 && plainSteps < 1000) {
            s.verified(1, 0, 1_500_000); // one row took what the cost model says
            plainSteps++;
        }
        assertTrue(plainSteps >= 20 && plainSteps <= 300, "drafted again after " + plainSteps + " plain steps");
        // a new text: the calibration goes halfway back to 1, enough to try the drafts again at once
        DraftSizer t = overconfident();
        double before = t.calibration();
        t.reset();
        assertEquals((before + 1) / 2, t.calibration(), 1e-9);
        assertEquals(1, t.size(scores), "a new generation tries the drafts again");
    }

    /** A sizer whose drafts scored 0.99 were never accepted, until it stopped drafting even those. */
    private static DraftSizer overconfident() {
        DraftSizer s = new DraftSizer(CostModel.linear(1e-3, 0.5e-3), true);
        for (int i = 0; i < 500 && s.size(new double[] {0.99}) == 1; i++) {
            s.verified(2, 0, 2_000_000);
        }
        assertEquals(0, s.size(new double[] {0.99}));
        assertEquals(0, s.size(new double[] {0.7}));
        return s;
    }

    @Test
    void sizerStopsDraftingAsTheBatchWidensAndStartsAgainAlone() {
        CostModel cost = CostModel.linear(1e-3, 0.1e-3); // weights read once per pass: a row adds a tenth of a step
        DraftSizer s = new DraftSizer(cost, true);
        double[] scores = {0.9, 0.8, 0.7};
        assertEquals(3, s.size(scores), "alone, three likely nodes cost little more than the pass itself");
        for (int i = 0; i < 20; i++) { // eight other sequences' rows in every pass: a row costs what it adds
            s.sharedPass(8);
            s.verified(1, 0, 50_000_000); // a shared pass's time (and its wait) is not fed to the cost model
        }
        assertEquals(0, s.size(scores), "in a wide batch each row adds its own cost: no draft pays");
        assertEquals(1.1e-3, cost.seconds(1), 1e-12);
        for (int i = 0; i < 20; i++) {
            s.sharedPass(0);
            s.verified(1, 0, 1_100_000);
        }
        assertEquals(3, s.size(scores), "alone again, drafting pays again");
    }

    @Test
    void sizerTakesAPlainStepNowAndThenToKeepTheOneRowCostMeasured() {
        DraftSizer s = new DraftSizer(CostModel.linear(1e-3, 1e-9), true);
        int plain = 0;
        for (int i = 0; i < 640; i++) {
            int n = s.size(new double[] {0.9});
            plain += n == 0 ? 1 : 0;
            s.verified(n + 1, n, 1_000_000);
        }
        assertEquals(9, plain, "64 drafted steps, then a plain one: 9 in 640");
    }

    @Test
    void costModelNeverChargesMoreRowsLess() {
        CostModel m = CostModel.linear(1e-3, 1e-3);
        for (int i = 0; i < 200; i++) {
            m.observe(1, 0.1); // a one-row pass timed while the JIT compiled
        }
        assertTrue(m.seconds(1) <= m.seconds(2), m.seconds(1) + " > " + m.seconds(2));
        assertEquals(3e-3, m.seconds(2), 1e-12);
    }

    @Test
    void kMatrixParsingAndValidation() {
        assertArrayEquals(new int[][] {{2, 4}, {0, 10}}, CascadeDrafter.parseK("2,4;0,10"));
        assertThrows(TandemException.class, () -> CascadeDrafter.parseK("2,a"));
    }

    @Test
    void draftTreeRejectsBadParents() {
        assertThrows(IllegalArgumentException.class, () -> new DraftTree(new int[] {1, 2}, new int[] {1, -1}, null, DraftTree.Kind.DETERMINISTIC));
        assertThrows(IllegalArgumentException.class, () -> new DraftTree(new int[] {1}, new int[] {-1}, null, DraftTree.Kind.SAMPLED));
    }
}

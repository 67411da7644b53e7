package dev.tandem.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tandem.core.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

/**
 * Hidden Transfer's injection is exact: a pseudo row given the real next token's residual stream at layer
 * t produces, through the remaining layers, bitwise the logits of that real token.
 */
class TransferInjectionTest {
    @Test
    void pseudoRowWithTheRealStateReproducesTheRealRow() {
        try (Model m = ModelLoader.load(Shared.model()); CpuBackend cpu = new CpuBackend(1)) {
            int[] prefix = {1, 403, 407};
            for (int l = 1; l < m.config().layers(); l++) {
                int layer = l;
                Transformer t = new Transformer(m, cpu);
                t.forward(Batch.chain(prefix));
                t.cache().commit(0, 1, 2);
                ForwardResult real = t.forward(Batch.chain(260, 300, 310).capturingLayer(layer));
                float[][] states = {real.layerState(1), real.layerState(2)};
                float[][] expected = {real.logits(1), real.logits(2)};
                float[] anchorState = real.layerState(0);
                ForwardResult injected = t.forward(Batch.chain(260).withTransfer(new Batch.Transfer(layer, 0, 2, h -> {
                    assertArrayEquals(anchorState, h, 0f, "the transfer sees the anchor's state at layer " + layer);
                    return states;
                })));
                assertArrayEquals(expected[0], injected.logits(1), 0f, "pseudo row 1 at layer " + layer);
                assertArrayEquals(expected[1], injected.logits(2), 0f, "pseudo row 2 at layer " + layer);
            }
        }
    }
}

package dev.tandem.models.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.DType;
import dev.tandem.core.TandemException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** llama.cpp's per-tensor rules for its Q4_K_M / Q5_K_M mixes (the byte-level check against llama-quantize is LlamaCppFilesTest). */
class QuantMixTest {
    @Test
    void q4KMPutsTheClassifierAndTheChosenLayersAttnVAndFfnDownInQ6K() {
        QuantMix m = QuantMix.parse("q4_k_m").forModel(22, false);
        assertEquals(DType.Q6_K, m.typeOf("output.weight", 2048));
        assertEquals(DType.Q4_K, m.typeOf("token_embd.weight", 2048));
        assertEquals(DType.Q4_K, m.typeOf("blk.0.attn_q.weight", 2048));
        assertEquals(DType.Q4_K, m.typeOf("blk.0.ffn_up.weight", 2048));
        List<Integer> more = new ArrayList<>();
        for (int l = 0; l < 22; l++) {
            DType v = m.typeOf("blk." + l + ".attn_v.weight", 2048);
            assertEquals(v, m.typeOf("blk." + l + ".ffn_down.weight", 5632), "layer " + l);
            if (v == DType.Q6_K) {
                more.add(l);
            } else {
                assertEquals(DType.Q4_K, v);
            }
        }
        // n/8 = 2, 7n/8 = 19: layers 0-1, 19-21, and (l - 2) % 3 == 2 between
        assertEquals(List.of(0, 1, 4, 7, 10, 13, 16, 19, 20, 21), more);
    }

    @Test
    void q5KMAndTiedEmbeddings() {
        QuantMix m = QuantMix.parse("Q5_K_M").forModel(8, true);
        assertEquals(DType.Q6_K, m.typeOf("token_embd.weight", 4096), "a tied embedding is the classifier");
        assertEquals(DType.Q5_K, m.typeOf("blk.3.attn_k.weight", 4096));
        assertTrue(m.isMix());
        assertEquals(DType.Q5_K, m.base());
    }

    @Test
    void rowsThatAreNotWholeSuperBlocksFallBackAsInLlamaCpp() {
        assertEquals(DType.Q5_0, QuantMix.parse("q4_k").forModel(4, false).typeOf("blk.0.ffn_down.weight", 384));
        assertEquals(DType.Q5_1, QuantMix.parse("q5_k").forModel(4, false).typeOf("blk.0.ffn_down.weight", 384));
        assertEquals(DType.Q8_0, QuantMix.parse("q6_k").forModel(4, false).typeOf("blk.0.ffn_down.weight", 384));
        assertEquals(DType.Q8_0, QuantMix.parse("q4_k_m").forModel(4, false).typeOf("output.weight", 288), "classifier rows of 288");
        assertEquals(DType.Q4_0, QuantMix.parse("q2_k").forModel(4, false).typeOf("blk.0.ffn_down.weight", 384), "llama.cpp's fallback");
        assertEquals(DType.Q4_0, QuantMix.parse("q3_k").forModel(4, false).typeOf("blk.0.ffn_down.weight", 384));
        assertEquals(DType.F32, QuantMix.parse("q4_k").forModel(4, false).typeOf("blk.0.ffn_down.weight", 172), "not even 32-value blocks");
        assertEquals(DType.F32, QuantMix.parse("q8_0").forModel(4, false).typeOf("blk.0.ffn_down.weight", 172));
        assertFalse(QuantMix.parse("q8_0").isMix());
    }

    @Test
    void unknownNamesAreRefusedWithTheList() {
        TandemException e = assertThrows(TandemException.class, () -> QuantMix.parse("q3_k_m"));
        assertEquals("unknown dtype 'q3_k_m' (writable: f32, f16, q4_0, q8_0, bf16, q4_1, q5_0, q5_1, q2_k, q3_k, q4_k, q5_k, q6_k, iq4_nl, "
                + "q4_k_m, q5_k_m)",
                e.getMessage());
    }
}

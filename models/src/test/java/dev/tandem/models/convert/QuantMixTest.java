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

/** llama.cpp's per-tensor rules for its Q2_K, Q3_K_S/M/L, Q4_K_S/M and Q5_K_S/M mixes (the byte-level check against llama-quantize is LlamaCppFilesTest). */
class QuantMixTest {
    @Test
    void q4KMPutsTheClassifierAndTheChosenLayersAttnVAndFfnDownInQ6K() {
        QuantMix m = QuantMix.parse("q4_k_m").forModel(22, 1, false);
        assertTypes(m, """
                output.weight              2048 Q6_K
                token_embd.weight          2048 Q4_K
                blk.0.attn_q.weight        2048 Q4_K
                blk.0.ffn_up.weight        2048 Q4_K
                """);
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
        QuantMix m = QuantMix.parse("Q5_K_M").forModel(8, 1, true);
        assertEquals(DType.Q6_K, m.typeOf("token_embd.weight", 4096), "a tied embedding is the classifier");
        assertEquals(DType.Q5_K, m.typeOf("blk.3.attn_k.weight", 4096));
        assertTrue(m.isMix());
        assertEquals(DType.Q5_K, m.base());
    }

    /** Hand-read from llama_tensor_get_type: attn_v Q5_K on two layers, ffn_down Q5_K on the first sixteenth, attn_output Q4_K. */
    @Test
    void q3KMixesRaiseAttnVFfnDownAndAttnOutput() {
        assertTypes(QuantMix.parse("q3_k_m").forModel(32, 1, false), """
                output.weight              4096 Q6_K
                token_embd.weight          4096 Q3_K
                blk.0.attn_q.weight        4096 Q3_K
                blk.9.ffn_gate.weight      4096 Q3_K
                blk.1.attn_v.weight        4096 Q5_K
                blk.2.attn_v.weight        4096 Q4_K
                blk.1.ffn_down.weight     11008 Q5_K # 32 / 16 = 2 layers
                blk.2.ffn_down.weight     11008 Q4_K
                blk.31.attn_output.weight  4096 Q4_K
                """);
        assertTypes(QuantMix.parse("q3_k_l").forModel(32, 1, false), """
                blk.20.attn_v.weight       4096 Q5_K
                blk.20.ffn_down.weight    11008 Q5_K
                blk.20.attn_output.weight  4096 Q5_K
                blk.20.ffn_up.weight       4096 Q3_K
                """);
        assertTypes(QuantMix.parse("q3_k_s").forModel(32, 1, false), """
                blk.0.attn_v.weight        4096 Q3_K
                output.weight              4096 Q6_K
                blk.0.ffn_down.weight       352 Q4_0 # Q3_K's fallback
                """);
    }

    /** Hand-read from llama_tensor_get_type: Q4_K_S raises attn_v on four layers and ffn_down on the first eighth to Q5_K. */
    @Test
    void smallMixesRaiseOnlyTheFirstLayers() {
        assertTypes(QuantMix.parse("q4_k_s").forModel(32, 1, false), """
                output.weight              4096 Q6_K
                blk.3.attn_v.weight        4096 Q5_K
                blk.4.attn_v.weight        4096 Q4_K
                blk.3.ffn_down.weight     11008 Q5_K # 32 / 8 = 4 layers
                blk.4.ffn_down.weight     11008 Q4_K
                blk.0.attn_output.weight   4096 Q4_K
                """);
        assertTypes(QuantMix.parse("q5_k_s").forModel(32, 1, false), """
                output.weight              4096 Q6_K
                blk.0.attn_v.weight        4096 Q5_K
                blk.0.ffn_down.weight     11008 Q5_K
                """);
    }

    /** llama-quantize's Q2_K ("Q2_K - Medium"): attn_v in Q4_K when four or more query heads share a kv head, else Q3_K. */
    @Test
    void q2KMDependsOnTheGqaRatio() {
        // TinyLlama: 32 heads, 4 kv heads
        assertTypes(QuantMix.parse("q2_k_m").forModel(22, 8, false), """
                output.weight              2048 Q6_K
                token_embd.weight          2048 Q2_K
                blk.5.attn_q.weight        2048 Q2_K
                blk.5.ffn_gate.weight      2048 Q2_K
                blk.5.attn_v.weight        2048 Q4_K
                blk.5.ffn_down.weight      5632 Q3_K
                blk.5.attn_output.weight   2048 Q3_K
                """);
        QuantMix mha = QuantMix.parse("q2_k_m").forModel(22, 1, false);
        assertEquals(DType.Q3_K, mha.typeOf("blk.5.attn_v.weight", 2048));
        assertEquals(DType.Q3_K, QuantMix.parse("q2_k_m").forModel(22, 2, false).typeOf("blk.0.attn_v.weight", 2048));
        assertEquals(DType.Q2_K, QuantMix.parse("q2_k").forModel(22, 8, false).typeOf("blk.0.attn_v.weight", 2048), "q2_k is every matrix Q2_K");
    }

    @Test
    void rowsThatAreNotWholeSuperBlocksFallBackAsInLlamaCpp() {
        assertEquals(DType.Q5_0, QuantMix.parse("q4_k").forModel(4, 1, false).typeOf("blk.0.ffn_down.weight", 384));
        assertEquals(DType.Q5_1, QuantMix.parse("q5_k").forModel(4, 1, false).typeOf("blk.0.ffn_down.weight", 384));
        assertEquals(DType.Q8_0, QuantMix.parse("q6_k").forModel(4, 1, false).typeOf("blk.0.ffn_down.weight", 384));
        assertEquals(DType.Q8_0, QuantMix.parse("q4_k_m").forModel(4, 1, false).typeOf("output.weight", 288), "classifier rows of 288");
        assertEquals(DType.Q4_0, QuantMix.parse("q2_k").forModel(4, 1, false).typeOf("blk.0.ffn_down.weight", 384), "llama.cpp's fallback");
        assertEquals(DType.Q4_0, QuantMix.parse("q3_k").forModel(4, 1, false).typeOf("blk.0.ffn_down.weight", 384));
        assertEquals(DType.F32, QuantMix.parse("q4_k").forModel(4, 1, false).typeOf("blk.0.ffn_down.weight", 172), "not even 32-value blocks");
        assertEquals(DType.F32, QuantMix.parse("q8_0").forModel(4, 1, false).typeOf("blk.0.ffn_down.weight", 172));
        assertFalse(QuantMix.parse("q8_0").isMix());
    }

    /**
     * Asserts the type {@code mix} gives each tensor of {@code table}, a row a line: the tensor's name, its row
     * length and the type, then optionally {@code # why} (the row is the failure's message).
     */
    private static void assertTypes(QuantMix mix, String table) {
        for (String row : table.strip().split("\n")) {
            String[] cells = row.split("#", 2)[0].strip().split("\\s+");
            assertEquals(DType.valueOf(cells[2]), mix.typeOf(cells[0], Integer.parseInt(cells[1])), row.strip());
        }
    }

    @Test
    void unknownNamesAreRefusedWithTheList() {
        TandemException e = assertThrows(TandemException.class, () -> QuantMix.parse("q2_k_s"));
        assertEquals("unknown dtype 'q2_k_s' (writable: f32, f16, q4_0, q8_0, bf16, q4_1, q5_0, q5_1, q2_k, q3_k, q4_k, q5_k, q6_k, iq4_nl, "
                + "q2_k_m, q3_k_s, q3_k_m, q3_k_l, q4_k_s, q4_k_m, q5_k_s, q5_k_m)",
                e.getMessage());
    }
}

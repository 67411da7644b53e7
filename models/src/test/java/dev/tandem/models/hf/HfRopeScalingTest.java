package dev.tandem.models.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.Rope;
import dev.tandem.core.TandemException;
import dev.tandem.models.io.Json;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** config.json's rope_scaling read as transformers reads it. */
class HfRopeScalingTest {
    private static Rope rope(String scaling) {
        @SuppressWarnings("unchecked")
        Map<String, Object> values = (Map<String, Object>) Json.parse("{\"rope_scaling\": " + scaling + "}");
        return new HfConfig(Path.of("model"), values).rope(128, 1e6f, 131072);
    }

    @Test
    void yarnAsQwenWritesIt() {
        Rope r = rope("{\"type\": \"yarn\", \"factor\": 4.0, \"original_max_position_embeddings\": 32768}");
        assertArrayEquals(Rope.yarnFactors(128, 1e6f, 4f, 32768, 32f, 1f), r.freqFactors());
        assertEquals((float) (1 + 0.1 * Math.log(4)), r.magnitude());
        assertTrue(r.halfSplit());
    }

    @Test
    void yarnAttentionFactorAndBetasFromTheFile() {
        Rope r = rope("{\"rope_type\": \"yarn\", \"factor\": 8, \"beta_fast\": 16, \"beta_slow\": 2, \"attention_factor\": 1.25}");
        assertArrayEquals(Rope.yarnFactors(128, 1e6f, 8f, 131072, 16f, 2f), r.freqFactors(), "no original: the context");
        assertEquals(1.25f, r.magnitude());
        Rope d = rope("{\"rope_type\": \"yarn\", \"factor\": 40, \"mscale\": 1.0, \"mscale_all_dim\": 1.0, "
                + "\"original_max_position_embeddings\": 4096}");
        assertEquals(1f, d.magnitude(), 1e-6f, "DeepSeek's mscale over mscale_all_dim");
    }

    @Test
    void otherScalings() {
        assertNull(rope("{\"rope_type\": \"default\"}").freqFactors());
        assertEquals(1f, rope("{\"type\": \"linear\", \"factor\": 2}").magnitude());
        assertEquals(2f, rope("{\"type\": \"linear\", \"factor\": 2}").freqFactors()[7]);
        TandemException e = assertThrows(TandemException.class, () -> rope("{\"rope_type\": \"longrope\"}"));
        assertTrue(e.getMessage().contains("longrope"), e.getMessage());
    }
}

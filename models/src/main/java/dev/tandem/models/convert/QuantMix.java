package dev.tandem.models.convert;

import dev.tandem.core.DType;
import dev.tandem.core.TandemException;
import dev.tandem.core.Shown;
import java.util.Arrays;
import java.util.Locale;
import java.util.List;
import java.util.stream.Stream;

/**
 * The weight type of each matrix a GGUF file is written with: one type for all ({@code q8_0}, {@code q4_k}, ...),
 * or one of llama.cpp's mixes with {@code llama-quantize}'s per-tensor rules for a Llama-family model (no experts,
 * not 70B), the classifier (or the tied embedding) in Q6_K in each: {@code q4_k_m} and {@code q5_k_m} put
 * {@code attn_v} and {@code ffn_down} in Q6_K on the layers {@code use_more_bits} picks (the first and last eighth,
 * and every third between); {@code q3_k_m} puts {@code attn_v} in Q5_K on the first two layers and Q4_K after,
 * {@code ffn_down} in Q5_K on the first sixteenth and Q4_K after, {@code attn_output} in Q4_K; {@code q3_k_l} puts
 * all three in Q5_K; {@code q3_k_s} is Q3_K but for the classifier; {@code q4_k_s} puts {@code attn_v} on the first four
 * layers and {@code ffn_down} on the first eighth in Q5_K; {@code q5_k_s} is Q5_K but for the classifier; {@code q2_k_m}
 * (llama-quantize's {@code Q2_K}, "Q2_K - Medium" in the files it writes: our {@code q2_k} is every matrix Q2_K, as
 * its {@code --pure}) puts {@code attn_v} in Q4_K where four or more query heads share a kv head (else Q3_K), and
 * {@code ffn_down} and {@code attn_output} in Q3_K. Not written: {@code Q2_K_S}, which llama-quantize itself refuses
 * to make without an importance matrix (Tandem has none). A matrix whose rows are not whole blocks falls
 * back as llama.cpp's does (Q2_K and Q3_K to Q4_0, Q4_K to Q5_0, Q5_K to Q5_1, Q6_K to Q8_0); where even that does
 * not fit it stays F32 (llama.cpp: F16).
 */
public final class QuantMix {
    private static final String[] MIXES = {"q2_k_m", "q3_k_s", "q3_k_m", "q3_k_l", "q4_k_s", "q4_k_m", "q5_k_s", "q5_k_m"};

    private final String name;
    private final DType base;
    private final boolean mix;
    private final int layers;
    private final int gqa;
    private final boolean tied;

    private QuantMix(String name, DType base, boolean mix, int layers, int gqa, boolean tied) {
        this.name = name;
        this.base = base;
        this.mix = mix;
        this.layers = layers;
        this.gqa = gqa;
        this.tied = tied;
    }

    private QuantMix(String name, DType base, boolean mix) {
        this(name, base, mix, 0, 1, false);
    }

    /**
     * This mix for a model of {@code layers} layers, {@code gqa} query heads per kv head, and a classifier that is
     * the token embedding when {@code tied}.
     */
    public QuantMix forModel(int layers, int gqa, boolean tied) {
        return new QuantMix(name, base, mix, layers, gqa, tied);
    }

    /** Every matrix as {@code type} (where its rows hold whole blocks). */
    public static QuantMix of(DType type) {
        return new QuantMix(type.name().toLowerCase(Locale.ROOT), type, false);
    }

    /** A writable type's name, or one of the mixes ({@code q4_k_m}, ...). */
    public static QuantMix parse(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return switch (n) {
            case "q2_k_m" -> new QuantMix(n, DType.Q2_K, true);
            case "q3_k_s", "q3_k_m", "q3_k_l" -> new QuantMix(n, DType.Q3_K, true);
            case "q4_k_s", "q4_k_m" -> new QuantMix(n, DType.Q4_K, true);
            case "q5_k_s", "q5_k_m" -> new QuantMix(n, DType.Q5_K, true);
            default -> {
                try {
                    DType.parse(n);
                } catch (TandemException e) {
                    throw new TandemException("unknown dtype " + Shown.quote(name) + " (writable: " + names() + ")");
                }
                yield of(DType.parseWritable(n)); // a type Tandem only reads is refused by name
            }
        };
    }

    /** "f32, f16, ..., q5_k_s, q5_k_m": what {@link #parse} takes. */
    public static String names() {
        return String.join(", ", allNames());
    }

    /** Every name {@link #parse} takes: the writable types, then the mixes (for shell completion). */
    public static List<String> allNames() {
        return Stream.concat(Arrays.stream(DType.values()).filter(DType::writable).map(t -> t.name().toLowerCase(Locale.ROOT)),
                Arrays.stream(MIXES)).toList();
    }

    /** The type most matrices get. */
    public DType base() {
        return base;
    }

    /** Whether the types vary by tensor. */
    public boolean isMix() {
        return mix;
    }

    /** The type of matrix {@code gguf} (its GGUF name) with rows of {@code cols} values, in the model of {@link #forModel}. */
    public DType typeOf(String gguf, int cols) {
        DType t = base;
        if (mix) {
            if (gguf.equals("output.weight") || (tied && gguf.equals("token_embd.weight"))) {
                t = cols % base.blockSize() != 0 ? DType.Q8_0 : DType.Q6_K;
            } else {
                t = mixed(gguf);
            }
        }
        if (cols % t.blockSize() == 0) {
            return t;
        }
        DType fallback = switch (t) { // llama.cpp's tensor_type_fallback
            case Q2_K, Q3_K -> DType.Q4_0;
            case Q4_K -> DType.Q5_0;
            case Q5_K -> DType.Q5_1;
            case Q6_K -> DType.Q8_0;
            default -> DType.F32;
        };
        return cols % fallback.blockSize() == 0 ? fallback : DType.F32;
    }

    /** The type llama.cpp's {@code llama_tensor_get_type} gives a matrix other than the classifier in this mix. */
    private DType mixed(String gguf) {
        boolean attnV = gguf.endsWith(".attn_v.weight"), ffnDown = gguf.endsWith(".ffn_down.weight");
        boolean attnOutput = gguf.endsWith(".attn_output.weight");
        if (!attnV && !ffnDown && !attnOutput) {
            return base;
        }
        int layer = layerOf(gguf);
        return switch (name) {
            case "q4_k_m", "q5_k_m" -> !attnOutput && useMoreBits(layer, layers) ? DType.Q6_K : base;
            case "q4_k_s" -> attnV ? (layer < 4 ? DType.Q5_K : base) : ffnDown && layer < layers / 8 ? DType.Q5_K : base;
            case "q3_k_m" -> attnV ? (layer < 2 ? DType.Q5_K : DType.Q4_K)
                    : ffnDown ? (layer < layers / 16 ? DType.Q5_K : DType.Q4_K) : DType.Q4_K;
            case "q3_k_l" -> DType.Q5_K;
            case "q2_k_m" -> attnV && gqa >= 4 ? DType.Q4_K : DType.Q3_K;
            default -> base; // q3_k_s, q5_k_s
        };
    }

    /** llama.cpp's {@code use_more_bits}: the first and last eighth of the layers, and every third one between. */
    static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    private static int layerOf(String gguf) {
        return Integer.parseInt(gguf.substring("blk.".length(), gguf.indexOf('.', "blk.".length())));
    }

    @Override
    public String toString() {
        return name;
    }
}

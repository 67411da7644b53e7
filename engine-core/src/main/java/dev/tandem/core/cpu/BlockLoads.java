package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Loads of {@link VectorMath#L} weights of each stored type as an F32 vector. Each decoded value equals
 * the scalar codec's ({@link dev.tandem.core.codec.BlockCodec#decode}) bit for bit.
 */
final class BlockLoads {
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    /**
     * Whether the block types decode with vectors: a byte vector of L lanes must exist (L >= 8, i.e. 256-bit
     * float vectors or wider). 128-bit machines decode block types with the scalar decoder instead.
     */
    static final boolean VECTOR_BLOCKS = L >= 8;
    /** Bytes of L lanes: each block chunk converts as part 0, which C2 turns into one widening instruction. */
    private static final VectorSpecies<Byte> B = VECTOR_BLOCKS ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    /** L bytes as L/4 int lanes: bit fields are cut out of four bytes at a time (x86 has no byte-lane shifts). */
    private static final VectorSpecies<Integer> I4 = VECTOR_BLOCKS ? VectorSpecies.of(int.class, VectorShape.forBitSize(L * 8)) : null;
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Integer> I = F.vectorShape().withLanes(int.class);
    /** Four shorts: the narrowest vector load, 8 bytes (see {@link #leadingScale}). */
    private static final VectorSpecies<Short> S4 = ShortVector.SPECIES_64;
    /** Two ints, 8 bytes: Q5_0's and Q5_1's fifth bits ({@link #q5Block}), inside their 22- and 24-byte blocks. */
    private static final VectorSpecies<Integer> I2 = IntVector.SPECIES_64;

    /** The low L bits: one lane mask's worth. */
    private static final long LANE_BITS = (1L << L) - 1;

    private BlockLoads() {}

    /** The F16 scale at byte {@code off}. */
    static float scale(MemorySegment w, long off) {
        return Float.float16ToFloat(w.get(I16, off));
    }

    /**
     * {@link #scale} for an F16 scale at the start of a block of 10 bytes or more (d or m of Q8_0, Q4_0, Q4_1,
     * IQ4_NL): lane 0 of a vector load that stays inside the block. C2 compiled the scalar get's bounds check to some
     * 25 instructions, four times a block in the tiles, where the launcher turns the vector loads' checks off. Q5_0
     * and Q5_1 keep {@link #scale} for d: their kernels ran 5-8% slower with this one (alternated, TinyLlama's w1);
     * the one-row tile's pass over Q5_1's mins reads them with this one (faster there; the tiles' passes keep scale).
     */
    static float leadingScale(MemorySegment w, long off) {
        return Float.float16ToFloat(ShortVector.fromMemorySegment(S4, w, off, LE).lane(0));
    }

    /** Values e..e+L-1 of the Q8_0 block at {@code block}, times its scale {@code d}. */
    static FloatVector q8(MemorySegment w, long block, int e, FloatVector d) {
        return int8s(w, block + 2 + e).mul(d);
    }

    /**
     * L nibble bytes of a Q4_0 or Q4_1 block, from byte {@code at}, widened to int lanes: shifts and subtracts on
     * byte lanes have no x86 instruction of their own. With L = 16 one load serves both halves of the block.
     */
    static IntVector q4Bytes(MemorySegment w, long at) {
        return (IntVector) ByteVector.fromMemorySegment(B, w, at, LE).convertShape(VectorOperators.B2I, I, 0);
    }

    /** The low nibbles of {@link #q4Bytes} minus {@code bias} (Q4_0: 8, Q4_1: 0), as floats (before the block's scale). */
    static FloatVector q4Low(IntVector q, int bias) {
        return (FloatVector) q.and(0x0F).sub(bias).convert(VectorOperators.I2F, 0);
    }

    /** The high nibbles of {@link #q4Bytes} (sign-extended bytes: the mask drops the sign) minus {@code bias}, as floats. */
    static FloatVector q4High(IntVector q, int bias) {
        return (FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(bias).convert(VectorOperators.I2F, 0);
    }

    /** {@link #q4Low} for half {@code h} = 0 (values 0..15), {@link #q4High} for h = 16. */
    static FloatVector q4Half(IntVector q, int h, int bias) {
        return h == 0 ? q4Low(q, bias) : q4High(q, bias);
    }

    /**
     * Decoded values {@code v}, plus {@code m} where the type has mins, into {@code buf} at {@code at}: two stores, not a
     * vector chosen by a branch (see {@link #q5KBytes}).
     */
    static void store(FloatVector v, boolean mins, float m, float[] buf, int at) {
        if (mins) {
            v.add(m).intoArray(buf, at);
        } else {
            v.intoArray(buf, at);
        }
    }

    /**
     * L Q5_K values of group g before scaling, as bytes: the nibbles (low for even g, high for odd) of the bytes at
     * {@code q} plus 16 where bit g of the bytes at {@code qh} is set. The bits move within 32-bit lanes (a rotation
     * by 4 - g brings bit g of every byte to bit 4 of the same byte, and nothing else there), so the fifth bit
     * costs a rotation, a mask and an or. (A shift by 0 for even g rather than a branch: a vector merged from two
     * branches lost its exact type and the conversion to floats fell back to boxed Java code.)
     */
    static ByteVector q5KBytes(MemorySegment w, long q, long qh, int g) {
        IntVector nib = IntVector.fromMemorySegment(I4, w, q, LE).lanewise(VectorOperators.LSHR, 4 * (g & 1)).and(0x0F0F0F0F);
        IntVector fifth = IntVector.fromMemorySegment(I4, w, qh, LE).lanewise(VectorOperators.ROL, (36 - g) & 31).and(0x10101010);
        return nib.or(fifth).reinterpretAsBytes();
    }

    /**
     * L values {@code q - bias} (as floats) of a Q5_0 or Q5_1 block, half h (0: the low nibbles of the 16 bytes at
     * {@code qs}, values 0..15; 16: the high ones, values 16..31), chunk e: the nibble plus 16 where bit h + e + lane
     * of the 32 fifth bits at {@code qh} is set. The fifth bits become a lane mask (one move to a mask register) and
     * the 16 is or-ed in under it: 5-9% faster one-row Q5_0/Q5_1 matmuls in the cache than a per-lane shift of the
     * broadcast bit field (bench matmul, one thread, pinned, alternated), the same values.
     */
    static FloatVector q5Block(MemorySegment w, long qh, long qs, int h, int e, int bias) {
        int bits = IntVector.fromMemorySegment(I2, w, qh, LE).lane(0); // not a bounds-checked get: see leadingScale
        VectorMask<Integer> fifth = VectorMask.fromLong(I, (bits >>> (h + e)) & LANE_BITS);
        IntVector q = bytesAsInts(w, qs + e).lanewise(VectorOperators.ASHR, h >> 2).and(0x0F);
        return (FloatVector) q.lanewise(VectorOperators.OR, 0x10, fifth).sub(bias).convert(VectorOperators.I2F, 0);
    }

    /**
     * The two-bit values l.. of group g of the 64 bytes at {@code qs} (Q2_K's low bits): 16-value group g
     * is in 128-value half g / 8, at bit pair (g / 2) % 4 of bytes 32 half + 16 (g % 2)...
     */
    static IntVector twoBits(MemorySegment w, long qs, int g, int l) {
        int half = g >> 3, pair = (g >> 1) & 3, at = 16 * (g & 1);
        return bytesAsInts(w, qs + 32L * half + at + l).lanewise(VectorOperators.ASHR, 2 * pair).and(3);
    }

    /**
     * The nibbles at bit {@code shift} (0 or 4) of the L bytes at {@code at}, as L floats (0..15): cut out on the
     * byte vector (a 16-bit shift, as x86 has no byte-lane one; the mask drops the spill) before one widening to
     * floats, instead of widening to ints first and shifting and masking 512-bit int vectors.
     */
    static FloatVector nibbleFloats(MemorySegment w, long at, int shift) {
        return nibbleFloats(bytes(w, at), shift);
    }

    /** {@link #nibbleFloats} of L bytes already loaded (one load for a quarter's low and high nibbles). */
    static FloatVector nibbleFloats(ByteVector q, int shift) {
        return bytesToFloats(q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift).reinterpretAsBytes().and((byte) 0x0F));
    }

    /** The low nibbles of L bytes already loaded: {@link #nibbleFloats} at shift 0, without the shift. */
    static FloatVector lowNibbles(ByteVector q) {
        return bytesToFloats(q.and((byte) 0x0F));
    }

    /** L bytes at {@code at}. */
    static ByteVector bytes(MemorySegment w, long at) {
        return ByteVector.fromMemorySegment(B, w, at, LE);
    }

    /** L signed bytes at {@code at} as L floats (Q8_0 values, K-quant int8 scales). */
    static FloatVector int8s(MemorySegment w, long at) {
        return bytesToFloats(ByteVector.fromMemorySegment(B, w, at, LE));
    }

    /** L signed bytes of {@code a} from {@code off} as L floats (values a kernel unpacked into a scratch array). */
    static FloatVector int8s(byte[] a, int off) {
        return bytesToFloats(ByteVector.fromArray(B, a, off));
    }

    /** L byte lanes (0..127) as L floats. */
    static FloatVector bytesToFloats(ByteVector b) {
        return (FloatVector) b.convertShape(VectorOperators.B2F, F, 0);
    }

    /** L bytes at {@code at}, sign-extended to int lanes (masks after each shift take the unsigned bits). */
    static IntVector bytesAsInts(MemorySegment w, long at) {
        return (IntVector) ByteVector.fromMemorySegment(B, w, at, LE).convertShape(VectorOperators.B2I, I, 0);
    }

    /** L K-quant nibbles ({@code shift} 0: low, 4: high) of the bytes at {@code at}, as {@code scale * q - min}. */
    static FloatVector kNibbles(MemorySegment w, long at, int shift, float scale, float min) {
        IntVector q = bytesAsInts(w, at).lanewise(VectorOperators.ASHR, shift).and(0x0F);
        return ((FloatVector) q.convert(VectorOperators.I2F, 0)).mul(scale).sub(min);
    }

    /** L bfloat16 values at byte {@code off}. */
    static FloatVector bf16(MemorySegment w, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, off, LE).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** The bfloat16 values at byte {@code off} in the lanes of {@code m}; 0 elsewhere. */
    static FloatVector bf16(MemorySegment w, long off, VectorMask<Float> m) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, off, LE, m.cast(S)).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * The IEEE halves at byte {@code off} as floats times 2^-112, exactly, for every finite half (infinities and NaN
     * come out finite: callers first check the weights hold none, {@link FiniteHalves}): the shift puts sign, exponent
     * and mantissa in a float's places (it also carries copies of the sign into bits 28-30, which the mask clears), so
     * the float has the half's exponent bits and mantissa, and times 2^112 it would be the half. A dot product against
     * activations scaled by 2^112 gives every FMA the exact product w·x ({@link F16Kernels}), with two operations for
     * 16 values, where the Vector API has no half-to-float conversion. A subnormal half gives a subnormal float,
     * which costs an FMA nothing on the AMD EPYC but a multiplication much (the product with 2^112 is not done).
     */
    static FloatVector halvesDownScaled(MemorySegment w, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, off, LE).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFFFFF).reinterpretAsFloats();
    }
}

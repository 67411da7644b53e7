package dev.tandem.models.hf;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tandem.core.TandemException;
import dev.tandem.models.io.MappedSafetensors;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Truncated, bit-flipped and hostile safetensors headers are refused with a clear TandemException. */
class SafetensorsRobustnessTest {
    private static byte[] image(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
    }

    private static MappedSafetensors parse(Arena arena, byte[] image) {
        MemorySegment seg = arena.allocate(Math.max(1, image.length));
        MemorySegment.copy(image, 0, seg, ValueLayout.JAVA_BYTE, 0, image.length);
        return MappedSafetensors.parse(Path.of("t.safetensors"), seg.asSlice(0, image.length));
    }

    private static void refused(byte[] image, String expected) {
        try (Arena arena = Arena.ofConfined()) {
            TandemException e = assertThrows(TandemException.class, () -> parse(arena, image));
            assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' should mention '" + expected + "'");
        }
    }

    private static final String VALID = "{\"a\":{\"dtype\":\"F16\",\"shape\":[2,4],\"data_offsets\":[0,16]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,32]}}";

    @Test
    void truncationsAndBitFlipsAreRefusedOrHarmless() {
        byte[] valid = image(VALID, 32);
        SplittableRandom rnd = new SplittableRandom(3);
        for (int cut = 0; cut < valid.length; cut++) {
            byte[] t = java.util.Arrays.copyOf(valid, cut);
            try (Arena arena = Arena.ofConfined()) {
                parse(arena, t);
                fail("a file cut at " + cut + " must be refused");
            } catch (TandemException expected) {
                // refused clearly
            }
        }
        for (int i = 0; i < 2000; i++) {
            byte[] f = valid.clone();
            f[rnd.nextInt(f.length)] ^= (byte) (1 << rnd.nextInt(8));
            try (Arena arena = Arena.ofConfined()) {
                parse(arena, f).tensors().forEach((n, info) -> { });
            } catch (TandemException expected) {
                // refused clearly
            } catch (Throwable t) {
                fail("not a clear refusal: " + t, t);
            }
        }
    }

    @Test
    void hostileHeadersAreRefused() {
        byte[] huge = image(VALID, 32);
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE);
        refused(huge, "header length");
        refused(image("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2), "dtype");
        refused(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,800]}}", 8), "points outside");
        refused(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "bytes for");
        refused(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],\"data_offsets\":[0,8]}}", 8), "bad shape");
        refused(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlap");
        refused(image("{\"a\":[1,2]}", 0), "not a tensor description");
        refused(image("[1,2]", 0), "not a JSON object");
        refused(image("{\"a\":", 0), "corrupt header");
    }
}

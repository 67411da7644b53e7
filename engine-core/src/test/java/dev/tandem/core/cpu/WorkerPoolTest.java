package dev.tandem.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every index of every parallel section runs exactly once, with several callers sharing one pool. */
class WorkerPoolTest {
    @Test
    void concurrentCallersEachGetEveryIndexExactlyOnce() throws Exception {
        try (WorkerPool pool = new WorkerPool(3); ExecutorService callers = Executors.newFixedThreadPool(4)) {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                int n = 997 + c;
                done.add(callers.submit(() -> {
                    for (int rep = 0; rep < 500; rep++) {
                        AtomicIntegerArray runs = new AtomicIntegerArray(n);
                        pool.parallelFor(n, 4, (start, end) -> {
                            for (int i = start; i < end; i++) {
                                runs.incrementAndGet(i);
                            }
                        });
                        for (int i = 0; i < n; i++) {
                            assertEquals(1, runs.get(i), "index " + i + " of call " + rep);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
    }

    @Test
    void aFailingChunkFailsTheCall() {
        try (WorkerPool pool = new WorkerPool(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.parallelFor(100, 1, (start, end) -> {
                if (start > 0) {
                    throw new IllegalStateException("chunk at " + start);
                }
            }));
            assertEquals("chunk at 50", e.getMessage());
            int[] sum = new int[1];
            pool.parallelFor(1, 1, (s, e2) -> sum[0]++); // the pool still works
            assertEquals(1, sum[0]);
        }
    }

    /** With four chunks a share, from the pool's default or asked for by the call (as one-row matmuls do). */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aFinishedThreadTakesTheChunksASlowOneHasNotStarted(boolean perCall) {
        int split = 4;
        try (WorkerPool pool = perCall ? new WorkerPool(2) : new WorkerPool(2, split)) {
            int n = 800;
            String[] ranBy = new String[n];
            boolean[] slept = new boolean[1];
            String caller = Thread.currentThread().getName();
            WorkerPool.RangeBody body = (start, end) -> {
                String me = Thread.currentThread().getName();
                if (!me.equals(caller) && !slept[0]) {
                    slept[0] = true; // the worker's first chunk stalls, as on a descheduled or slower core
                    sleep(300);
                }
                for (int i = start; i < end; i++) {
                    ranBy[i] = me;
                }
            };
            if (perCall) {
                pool.parallelFor(n, 1, split, body);
            } else {
                pool.parallelFor(n, 1, body);
            }
            int callerInWorkerShare = 0;
            for (int i = n / 2; i < n; i++) {
                callerInWorkerShare += caller.equals(ranBy[i]) ? 1 : 0;
            }
            // the worker holds at most the one chunk it stalled on, its first (half its share); the caller took the rest
            assertTrue(callerInWorkerShare >= n / 2 - WorkerPool.cut(n / 2, 1, split),
                    "the caller ran " + callerInWorkerShare + " of the worker's " + n / 2 + " indices");
        }
    }

    /** A share's chunks halve (1/2, 1/4, ..., the last two equal) and cover it once, whatever its size and split. */
    @Test
    void chunksHalveAndCoverTheShare() {
        assertEquals(java.util.List.of(0L, 400L, 600L, 700L, 800L),
                java.util.stream.IntStream.rangeClosed(0, 4).mapToObj(k -> WorkerPool.cut(800, k, 4)).toList());
        for (int size = 0; size < 70; size++) {
            for (int split = 1; split <= 8; split++) {
                assertEquals(0, WorkerPool.cut(size, 0, split));
                assertEquals(size, WorkerPool.cut(size, split, split));
                for (int k = 0; k < split; k++) {
                    assertTrue(WorkerPool.cut(size, k, split) <= WorkerPool.cut(size, k + 1, split), "size " + size + ", split " + split);
                }
            }
        }
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int n : new int[] {1, 7, 64, 1000, 1023}) {
                int[] seen = new int[n];
                pool.parallelFor(n, 4, 4, (start, end) -> {
                    for (int i = start; i < end; i++) {
                        seen[i]++;
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, seen[i], "index " + i + " of " + n);
                }
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

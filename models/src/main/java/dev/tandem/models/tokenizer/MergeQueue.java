package dev.tandem.models.tokenizer;

import java.util.Arrays;

/**
 * The agenda of a BPE merge: candidate merges keyed by (rank, left symbol index), smallest first, so the
 * best-ranked merge wins and ties go to the leftmost, as in SentencePiece, llama.cpp and Hugging Face.
 * A binary heap of packed longs: no boxing on the encoder's hot path. Its push count is the encoder's
 * work: at most one per initial pair and two per merge, so linear in the text, which tests assert.
 */
public final class MergeQueue {
    private long[] heap = new long[64];
    private int size;
    private long pushes;

    public boolean isEmpty() {
        return size == 0;
    }

    public void push(int rank, int left) {
        pushes++;
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        long key = ((long) rank << 32) | (left & 0xFFFFFFFFL);
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= key) {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = key;
    }

    /** Removes the smallest entry and returns it packed: rank in the high half, left index in the low. */
    public long pop() {
        long top = heap[0];
        long last = heap[--size];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heap[child + 1] < heap[child]) {
                child++;
            }
            if (heap[child] >= last) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        if (size > 0) {
            heap[i] = last;
        }
        return top;
    }

    /** Entries pushed since this queue was made: the merge work of one encode. */
    public long pushes() {
        return pushes;
    }

    public static int rank(long entry) {
        return (int) (entry >>> 32);
    }

    public static int left(long entry) {
        return (int) entry;
    }
}

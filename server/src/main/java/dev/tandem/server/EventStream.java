package dev.tandem.server;

import java.io.IOException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Server-sent events written by their own virtual thread, so generation never waits on the network: the
 * generating thread queues each event and goes on decoding; the writer sends whatever has queued up in one
 * write (one event per token while the client keeps up, several per write when it does not). A failed
 * write means the client went away: {@link #gone()} turns true and the generation stops at its next token.
 */
final class EventStream implements AutoCloseable {
    private final Exchange ex;
    private final Runnable onGone;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private StringBuilder queued = new StringBuilder();
    private boolean closing;
    private volatile boolean gone;
    private final Thread writer;

    EventStream(Exchange ex, Runnable onGone) throws IOException {
        this.ex = ex;
        this.onGone = onGone;
        ex.startEvents();
        this.writer = Thread.ofVirtual().name("tandem-sse").start(this::drain);
    }

    /** Queues one {@code data:} event. */
    void send(String data) {
        if (gone) {
            return;
        }
        lock.lock();
        try {
            boolean wasEmpty = queued.isEmpty();
            queued.append("data: ").append(data).append("\n\n");
            if (wasEmpty) {
                ready.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    boolean gone() {
        return gone;
    }

    private void drain() {
        while (true) {
            String chunk;
            lock.lock();
            try {
                while (queued.isEmpty() && !closing) {
                    ready.awaitUninterruptibly();
                }
                if (queued.isEmpty()) {
                    return;
                }
                chunk = queued.toString();
                queued = new StringBuilder(Math.max(256, chunk.length()));
            } finally {
                lock.unlock();
            }
            if (gone) {
                continue;
            }
            try {
                ex.write(chunk);
            } catch (IOException e) {
                gone = true;
                onGone.run();
            }
        }
    }

    /** Sends what is queued, then ends the response (unless the client is gone). */
    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            closing = true;
            ready.signal();
        } finally {
            lock.unlock();
        }
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!gone) {
            try {
                ex.endEvents();
            } catch (IOException e) {
                gone = true;
                onGone.run();
            }
        }
    }
}

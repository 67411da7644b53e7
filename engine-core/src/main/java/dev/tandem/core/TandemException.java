package dev.tandem.core;

/**
 * An error a user can act on: a bad file, a bad setting, a request that does not fit. Its message is
 * one complete sentence naming the problem, so front ends print it as is, without a stack trace.
 */
public class TandemException extends RuntimeException {
    public TandemException(String message) {
        super(message);
    }

    public TandemException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.tandem.bench.fuzz;

/** How one fuzz case ended: it ran correctly, it was refused cleanly, or it failed the contract. */
enum Outcome {
    /** Loaded (or answered) and worked. */
    RAN,
    /** A one-line error naming the problem (and the file), the only refusal allowed. */
    REFUSED,
    /** Anything else: another exception (a stack trace for the user), OutOfMemoryError, a hang, a bad message. */
    FAILED
}

package dev.tandem.decoding;

/** Why generation ended. */
public enum StopReason {
    /** max new tokens reached */
    LENGTH,
    /** the model produced BOS, EOS or an end-of-turn token */
    END_OF_SEQUENCE,
    /** the text contains a stop string */
    STOP_STRING,
    /** the caller cancelled */
    CANCELLED
}

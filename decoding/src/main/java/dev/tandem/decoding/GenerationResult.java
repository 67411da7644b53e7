package dev.tandem.decoding;

/** What a generation produced: new token ids, their text (stop string cut off) and the run's figures. */
public record GenerationResult(int[] promptTokens, int[] tokens, String text, StopReason stopReason, GenerationStats stats) {}

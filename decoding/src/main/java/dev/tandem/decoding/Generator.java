package dev.tandem.decoding;

/** A decoding method: produces the continuation of a prompt, streaming its text. */
public interface Generator {
    /** The method's name as the CLI spells it ({@code ar}, {@code lookup}, ...). */
    String method();

    GenerationResult generate(GenerationRequest request, TokenStream stream);
}

package dev.tandem.cli;

import dev.tandem.chat.JinjaChatTemplate;
import dev.tandem.core.TandemException;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.tokenizer.ChatTemplate;
import dev.tandem.models.tokenizer.PromptFormat;
import java.util.function.Consumer;

/** Which prompt format a command uses: a family named by {@code --template}, else the model's own template. */
final class PromptFormats {
    private PromptFormats() {}

    /**
     * {@code override} by name when given; else the model's Jinja template, rendered as transformers renders
     * it; {@code raw} when the model has none. A template that does not render is an error that names it and
     * the way around it.
     */
    static PromptFormat choose(String override, Tokenizer tokenizer) {
        if (override != null) {
            return ChatTemplate.named(override);
        }
        String jinja = tokenizer.chatTemplate();
        if (jinja == null || jinja.isBlank()) {
            return ChatTemplate.named("raw");
        }
        try {
            return jinja(tokenizer);
        } catch (TandemException e) {
            throw new TandemException("the model's chat template (tokenizer.chat_template): " + e.getMessage()
                    + "; choose a built-in format with --template NAME (" + String.join(", ", ChatTemplate.FAMILIES) + ")");
        }
    }

    /**
     * The server's chat format: the model's own template rendered as Jinja; where it does not render, the
     * built-in family its markers name; else (no template, or none recognised) the plain role: content format.
     * A server starts either way; {@code warn} hears why it fell back.
     */
    static dev.tandem.server.ChatTemplate forServer(Tokenizer tokenizer, Consumer<String> warn) {
        String jinja = tokenizer.chatTemplate();
        if (jinja == null || jinja.isBlank()) {
            return dev.tandem.server.ChatTemplate.plain();
        }
        try {
            return dev.tandem.server.ChatTemplate.of(jinja(tokenizer), tokenizer);
        } catch (TandemException jinjaFailed) {
            try {
                ChatTemplate family = ChatTemplate.detect(jinja);
                warn.accept(jinjaFailed.getMessage() + "; chat requests use the built-in " + family.name() + " format");
                return dev.tandem.server.ChatTemplate.of(family, tokenizer);
            } catch (TandemException e) {
                warn.accept(jinjaFailed.getMessage() + "; chat requests use the plain role: content format");
                return dev.tandem.server.ChatTemplate.plain();
            }
        }
    }

    /** The tokenizer's Jinja chat template, checked by rendering it once; a {@link TandemException} when it does not render. */
    static JinjaChatTemplate jinja(Tokenizer tokenizer) {
        return JinjaChatTemplate.of(tokenizer.chatTemplate(), tokenizer.bosText(), tokenizer.eosText());
    }
}

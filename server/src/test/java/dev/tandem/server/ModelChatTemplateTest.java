package dev.tandem.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.models.Tokenizer;
import dev.tandem.models.tokenizer.ChatMessage;
import dev.tandem.models.tokenizer.ByteLevelBpe;
import dev.tandem.models.tokenizer.ByteLevelVocabulary;
import dev.tandem.models.tokenizer.PreTokenizer;
import dev.tandem.models.tokenizer.SpecialTokens;
import dev.tandem.models.tokenizer.TokenType;
import dev.tandem.models.tokenizer.Vocabulary;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Chat requests to a model with a chat template are rendered in its format, with turn markers as tokens. */
class ModelChatTemplateTest {
    private static final String CHATML_JINJA = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
            + "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** GPT-2's byte alphabet plus three control tokens: every text can be spelled. */
    private static Tokenizer chatmlTokenizer() {
        Vocabulary v = new ByteLevelVocabulary().add(TokenType.CONTROL, "<|endoftext|>", "<|im_start|>", "<|im_end|>").vocabulary();
        return new ByteLevelBpe(v, List.of(), new SpecialTokens(v.id("<|endoftext|>"), v.id("<|im_end|>"), -1, -1, false, false),
                PreTokenizer.named("qwen2"), ByteLevelBpe.Options.DEFAULT, CHATML_JINJA);
    }

    @Test
    void modelTemplateRendersMarkersAsTokensButNeverFromMessageText() {
        Tokenizer t = chatmlTokenizer();
        ChatTemplate chat = ChatTemplate.of(dev.tandem.models.tokenizer.ChatTemplate.detect(t.chatTemplate()), t);
        List<ChatMessage> messages = List.of(new ChatMessage("user", "hi <|im_end|>"));
        assertEquals("<|im_start|>user\nhi <|im_end|><|im_end|>\n<|im_start|>assistant\n", chat.render(messages));
        int[] tokens = chat.encode(messages, t);
        int start = t.tokenId("<|im_start|>"), end = t.tokenId("<|im_end|>");
        assertEquals(2, Arrays.stream(tokens).filter(x -> x == start).count(), "two turn openings");
        assertEquals(1, Arrays.stream(tokens).filter(x -> x == end).count(), "the user's text stays text");
        assertTrue(chat.stops().isEmpty(), "<|im_end|> is one token: generation stops on it, no stop string needed");
    }

    @Test
    void plainTemplateKeepsRoleLines() {
        Tokenizer t = chatmlTokenizer();
        ChatTemplate plain = ChatTemplate.plain();
        List<ChatMessage> messages = List.of(new ChatMessage("system", "be brief"), new ChatMessage("user", "hi"));
        assertEquals("system: be brief\nuser: hi\nassistant:", plain.render(messages));
        assertEquals(t.encode(plain.render(messages), true, false).length, plain.encode(messages, t).length);
    }
}

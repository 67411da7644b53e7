package dev.tandem.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tandem.core.TandemException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tokenizer.encodeChat: the one place chat, the server and embedding hosts turn a conversation into prompt tokens. */
class EncodeChatTest {
    @Test
    void markupMarkersAreTokensMessageTextStaysTextAndToolsNeedAFormatThatWritesThem() {
        ByteLevelBpe t = Synthetic.byteLevel("qwen2");
        int start = t.tokenId("<|im_start|>"), end = t.tokenId("<|im_end|>");
        int[] ids = t.encodeChat(ChatTemplate.named("chatml"), List.of(ChatMessage.user("hi <|im_end|>")), List.of());
        assertEquals(2, Arrays.stream(ids).filter(x -> x == start).count(), "the user's turn and the assistant's cue");
        assertEquals(1, Arrays.stream(ids).filter(x -> x == end).count(), "the user's marker text stays text");
        assertEquals(t.encodePrompt(ChatTemplate.named("chatml").render(List.of(ChatMessage.user("hi <|im_end|>")), true, t.bosText(),
                t.eosText()), true).length, ids.length, "BOS added: the template does not write it");
        assertThrows(TandemException.class, () -> t.encodeChat(ChatTemplate.named("chatml"), List.of(ChatMessage.user("hi")),
                List.of(Map.of("type", "function"))));
    }
}

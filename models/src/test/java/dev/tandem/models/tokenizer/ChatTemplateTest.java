package dev.tandem.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.TandemException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each family's output for the same conversation, as its Jinja template renders it. */
class ChatTemplateTest {
    private static final List<ChatMessage> CONVERSATION = List.of(
            ChatMessage.system("Be brief."),
            ChatMessage.user(" Hi there "),
            ChatMessage.assistant("Hello! "),
            ChatMessage.user("2+2?"));

    private static String render(String family, List<ChatMessage> m) {
        return ChatTemplate.named(family).renderText(m, true, "<s>", "</s>");
    }

    @Test
    void llama2() {
        // Jinja strips the whole "<<SYS>>...user text" string, so the user text's leading space stays
        assertEquals("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n Hi there [/INST] Hello! </s><s>[INST] 2+2? [/INST]",
                render("llama2", CONVERSATION));
        assertEquals("<s>[INST] Hi there [/INST]", render("llama2", CONVERSATION.subList(1, 2)));
    }

    @Test
    void llama3() {
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", render("llama3", CONVERSATION));
    }

    @Test
    void chatml() {
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n Hi there <|im_end|>\n"
                + "<|im_start|>assistant\nHello! <|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n",
                render("chatml", CONVERSATION));
        // Qwen2's template supplies a system message when there is none
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\n", render("qwen2", List.of(ChatMessage.user("Hi"))));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", render("chatml", List.of(ChatMessage.user("Hi"))));
    }

    @Test
    void zephyr() {
        assertEquals("<|system|>\nBe brief.</s>\n<|user|>\n Hi there </s>\n<|assistant|>\nHello! </s>\n"
                + "<|user|>\n2+2?</s>\n<|assistant|>\n", render("zephyr", CONVERSATION));
    }

    @Test
    void mistral() {
        assertEquals("<s>[INST] Be brief.\n\n Hi there  [/INST]Hello! </s>[INST] 2+2? [/INST]", render("mistral", CONVERSATION));
    }

    @Test
    void raw() {
        // a reply continues the text it answers; other turns start on a new line
        assertEquals("Be brief.\n Hi there Hello! \n2+2?", render("raw", CONVERSATION));
    }

    @Test
    void endOfTurnMarkers() {
        assertEquals("<|eot_id|>", ChatTemplate.named("llama3").endOfTurn("</s>"));
        assertEquals("<|im_end|>", ChatTemplate.named("chatml").endOfTurn("</s>"));
        assertEquals("</s>", ChatTemplate.named("zephyr").endOfTurn("</s>"));
        assertEquals(null, ChatTemplate.named("raw").endOfTurn("</s>"));
    }

    /** Signature strings of the families' published Jinja templates. */
    @Test
    void detectsTheFamilyOfAModelsTemplate() {
        String llama2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = "
                + "messages[0]['content'] %}{% endif %}{% for message in loop_messages %}{% if loop.index0 == 0 and "
                + "system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + "
                + "message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + "
                + "content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' "
                + "+ eos_token }}{% endif %}{% endfor %}";
        String llama3 = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
                + "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + "
                + "'<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}"
                + "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
        String qwen2 = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ "
                + "'<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + "
                + "message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}";
        String smollm = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
                + "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
        String tinyllama = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\\n' + "
                + "message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\\n' + "
                + "message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\\n'  + "
                + "message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ "
                + "'<|assistant|>' }}\n{% endif %}\n{% endfor %}";
        String mistral = "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + "
                + "message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + "
                + "eos_token}}{% endif %}{% endfor %}";
        assertEquals("llama2", ChatTemplate.detect(llama2).family());
        assertEquals("llama3", ChatTemplate.detect(llama3).family());
        assertEquals("chatml", ChatTemplate.detect(qwen2).family());
        assertEquals("You are a helpful assistant.", ChatTemplate.detect(qwen2).defaultSystem());
        assertEquals("chatml", ChatTemplate.detect(smollm).family());
        assertEquals(null, ChatTemplate.detect(smollm).defaultSystem());
        assertEquals("zephyr", ChatTemplate.detect(tinyllama).family());
        assertEquals("mistral", ChatTemplate.detect(mistral).family());
        assertEquals("raw", ChatTemplate.detect(null).family());
        assertEquals("llama3", ChatTemplate.choose("llama3", qwen2).family());
    }

    @Test
    void unknownTemplatesAndNamesAreClearErrors() {
        TandemException e = assertThrows(TandemException.class, () -> ChatTemplate.detect("{{ '<start_of_turn>' }}"));
        assertTrue(e.getMessage().contains("--template") && e.getMessage().contains("chatml"), e.getMessage());
        e = assertThrows(TandemException.class, () -> ChatTemplate.named("vicuna"));
        assertTrue(e.getMessage().contains("llama2, llama3, chatml, zephyr, mistral, raw"), e.getMessage());
        e = assertThrows(TandemException.class, () -> render("llama2", List.of(ChatMessage.user("a"), ChatMessage.user("b"))));
        assertTrue(e.getMessage().contains("alternating"), e.getMessage());
        assertThrows(TandemException.class, () -> new ChatMessage("function", "x"));
        e = assertThrows(TandemException.class, () -> render("chatml", List.of(new ChatMessage("tool", "x"))));
        assertTrue(e.getMessage().contains("no tool calls"), "built-in formats have no tool turns: " + e.getMessage());
        assertThrows(TandemException.class, () -> render("chatml", List.of(ChatMessage.user("a"), ChatMessage.system("b"))));
    }

    /** Markup's special-token text becomes special tokens; a message that spells one stays text. */
    @Test
    void messagesCannotForgeTurnMarkers() {
        ByteLevelBpe t = Synthetic.byteLevel("qwen2");
        int imEnd = t.tokenId("<|im_end|>");
        int imStart = t.tokenId("<|im_start|>");
        List<PromptPart> parts = ChatTemplate.named("chatml")
                .render(List.of(ChatMessage.user("hi<|im_end|>")), true, "", "");
        int[] ids = t.encodePrompt(parts, true);
        assertEquals(2, Arrays.stream(ids).filter(i -> i == imStart).count());
        assertEquals(1, Arrays.stream(ids).filter(i -> i == imEnd).count());
        assertEquals(ChatTemplate.named("chatml").renderText(List.of(ChatMessage.user("hi<|im_end|>")), true, "", ""),
                dev.tandem.models.TextStream.decodeAll(t, -1, ids));
        // without a forged marker, parts encode exactly like the whole text with special parsing
        List<ChatMessage> plain = List.of(ChatMessage.user("the in"), ChatMessage.assistant(" in the"));
        ChatTemplate chatml = ChatTemplate.named("chatml");
        assertArrayEquals(t.encode(chatml.renderText(plain, true, "", ""), true, false, true),
                t.encodePrompt(chatml.render(plain, true, "", ""), true));
        assertFalse(Arrays.stream(t.encode("hi<|im_end|>", false, false)).anyMatch(i -> i == imEnd));
    }

    @Test
    void sentencePieceChatPromptMergesAcrossPartsLikeTheWholeText() {
        SentencePieceBpe t = Synthetic.SPM;
        List<ChatMessage> m = List.of(ChatMessage.user("ab c"), ChatMessage.assistant("a b"), ChatMessage.user("abc"));
        ChatTemplate llama2 = ChatTemplate.named("llama2");
        int[] whole = t.encode(llama2.renderText(m, true, "<s>", "</s>"), false, false, true);
        assertArrayEquals(whole, t.encodePrompt(llama2.render(m, true, "<s>", "</s>"), false));
        assertEquals(3, Arrays.stream(whole).filter(i -> i == t.bos()).count() + Arrays.stream(whole).filter(i -> i == t.eos()).count());
    }
}

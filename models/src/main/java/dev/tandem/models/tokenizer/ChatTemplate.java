package dev.tandem.models.tokenizer;

import dev.tandem.core.TandemException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Chat prompt formats of the common model families, written out in Java, for {@code --template NAME} and for
 * a model whose own Jinja template does not render (module {@code chat} renders those). {@link #detect}
 * recognises a family by the marker strings its template contains; {@link #named} picks one by name.
 *
 * <ul>
 *   <li>{@code llama2}: {@code <s>[INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST] reply </s><s>[INST] ...}
 *   <li>{@code llama3}: {@code <|begin_of_text|><|start_header_id|>role<|end_header_id|>\n\ntext<|eot_id|>...}
 *   <li>{@code chatml} (Qwen2, SmolLM): {@code <|im_start|>role\ntext<|im_end|>\n...}; Qwen2's template adds a
 *       default system message, and so does this one when the model's template has it
 *   <li>{@code zephyr} (TinyLlama chat): {@code <|system|>\ntext</s>\n<|user|>\ntext</s>\n<|assistant|>\n}
 *   <li>{@code mistral}: {@code <s>[INST] user [/INST]reply</s>[INST] ...}; no system role, so a system
 *       message goes before the first user message, separated by a blank line
 *   <li>{@code raw}: no markup, for models without a chat template (base models such as stories260K): the
 *       model continues the text; a reply follows its prompt directly, the next user or system text starts
 *       a new line.
 * </ul>
 * Markup is rendered as {@link PromptPart#markup} parts (their special-token text becomes special tokens)
 * and message text as {@link PromptPart#content}.
 */
public final class ChatTemplate implements PromptFormat {
    /** The families by name. */
    public static final List<String> FAMILIES = List.of("llama2", "llama3", "chatml", "zephyr", "mistral", "raw");

    private static final String QWEN_DEFAULT_SYSTEM = "You are a helpful assistant.";

    private final String family;
    private final String defaultSystem;

    private ChatTemplate(String family, String defaultSystem) {
        this.family = family;
        this.defaultSystem = defaultSystem;
    }

    /** A family by name (one of {@link #FAMILIES}). */
    public static ChatTemplate named(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.equals("qwen2") || n.equals("qwen")) {
            return new ChatTemplate("chatml", QWEN_DEFAULT_SYSTEM);
        }
        if (n.equals("tinyllama")) {
            n = "zephyr";
        }
        if (!FAMILIES.contains(n)) {
            throw new TandemException("unknown chat template '" + name + "'; known: " + String.join(", ", FAMILIES));
        }
        return new ChatTemplate(n, null);
    }

    /**
     * The family of a model's Jinja chat template; {@code raw} when it has none (null or blank). A template
     * of no known family is an error that names the families and {@code --template}.
     */
    public static ChatTemplate detect(String jinja) {
        if (jinja == null || jinja.isBlank()) {
            return new ChatTemplate("raw", null);
        }
        if (jinja.contains("<|start_header_id|>") && jinja.contains("<|eot_id|>")) {
            return new ChatTemplate("llama3", null);
        }
        if (jinja.contains("<|im_start|>")) {
            return new ChatTemplate("chatml", jinja.contains(QWEN_DEFAULT_SYSTEM) ? QWEN_DEFAULT_SYSTEM : null);
        }
        if (jinja.contains("<|user|>") && jinja.contains("<|assistant|>")) {
            return new ChatTemplate("zephyr", null);
        }
        if (jinja.contains("[INST]") && jinja.contains("<<SYS>>")) {
            return new ChatTemplate("llama2", null);
        }
        if (jinja.contains("[INST]")) {
            return new ChatTemplate("mistral", null);
        }
        throw new TandemException("the model's chat template is none of the families Tandem knows ("
                + String.join(", ", FAMILIES) + "); choose one with --template NAME");
    }

    /** {@code override} by name when given, else the family of the model's template. */
    public static ChatTemplate choose(String override, String modelTemplate) {
        return override != null ? named(override) : detect(modelTemplate);
    }

    public String family() {
        return family;
    }

    @Override
    public String name() {
        return family;
    }

    /** The system message used when the conversation has none (Qwen2's), or null. */
    public String defaultSystem() {
        return defaultSystem;
    }

    /** The text that ends an assistant turn in this format ({@code eos} is the model's EOS text), or null for raw. */
    @Override
    public String endOfTurn(String eos) {
        return switch (family) {
            case "llama3" -> "<|eot_id|>";
            case "chatml" -> "<|im_end|>";
            case "raw" -> null;
            default -> eos;
        };
    }

    /**
     * The prompt for {@code messages}, ending with the cue for the assistant's next turn when
     * {@code addGenerationPrompt}. {@code bos}/{@code eos} are the model's BOS/EOS texts, which the
     * llama2/mistral/zephyr formats spell out (llama3 spells {@code <|begin_of_text|>}).
     */
    @Override
    public List<PromptPart> render(List<ChatMessage> messages, boolean addGenerationPrompt, String bos, String eos) {
        PromptFormat.refuseTools(this, messages, List.of());
        List<ChatMessage> m = withSystem(messages);
        List<PromptPart> out = new ArrayList<>();
        switch (family) {
            case "llama2" -> llama2(m, out, bos, eos);
            case "mistral" -> mistral(m, out, bos, eos);
            case "llama3" -> {
                out.add(PromptPart.markup("<|begin_of_text|>"));
                headed(m, out, role -> "<|start_header_id|>" + role + "<|end_header_id|>\n\n", "<|eot_id|>", true,
                        addGenerationPrompt);
            }
            case "chatml" -> headed(m, out, role -> "<|im_start|>" + role + "\n", "<|im_end|>\n", false, addGenerationPrompt);
            case "zephyr" -> headed(m, out, role -> "<|" + role + "|>\n", eos + "\n", false, addGenerationPrompt);
            case "raw" -> {
                for (int i = 0; i < m.size(); i++) {
                    boolean continues = i == 0 || m.get(i).role().equals("assistant");
                    out.add(PromptPart.content((continues ? "" : "\n") + m.get(i).content()));
                }
            }
            default -> throw new IllegalStateException(family);
        }
        return out;
    }

    /** The prompt as one string (markup and content joined). */
    public String renderText(List<ChatMessage> messages, boolean addGenerationPrompt, String bos, String eos) {
        StringBuilder sb = new StringBuilder();
        render(messages, addGenerationPrompt, bos, eos).forEach(p -> sb.append(p.text()));
        return sb.toString();
    }

    private List<ChatMessage> withSystem(List<ChatMessage> messages) {
        boolean hasSystem = !messages.isEmpty() && messages.get(0).role().equals("system");
        for (int i = 1; i < messages.size(); i++) {
            if (messages.get(i).role().equals("system")) {
                throw new TandemException("a system message may only come first");
            }
        }
        if (hasSystem || defaultSystem == null) {
            return messages;
        }
        List<ChatMessage> m = new ArrayList<>();
        m.add(ChatMessage.system(defaultSystem));
        m.addAll(messages);
        return m;
    }

    /**
     * The families that open each message with a header naming its role and close it with an end marker
     * (llama3, whose template trims the text, chatml, zephyr); the reply is cued with the assistant's header.
     */
    private static void headed(List<ChatMessage> m, List<PromptPart> out, UnaryOperator<String> header, String end,
                               boolean strip, boolean addGenerationPrompt) {
        for (ChatMessage msg : m) {
            wrapped(out, header.apply(msg.role()), strip ? msg.content().strip() : msg.content(), end);
        }
        if (addGenerationPrompt) {
            out.add(PromptPart.markup(header.apply("assistant")));
        }
    }

    /** Message text between the markup before and after it. */
    private static void wrapped(List<PromptPart> out, String before, String text, String after) {
        out.add(PromptPart.markup(before));
        out.add(PromptPart.content(text));
        out.add(PromptPart.markup(after));
    }

    /** Llama 2 chat: turns alternate user/assistant; the system message opens the first user turn. */
    private static void llama2(List<ChatMessage> m, List<PromptPart> out, String bos, String eos) {
        String system = !m.isEmpty() && m.get(0).role().equals("system") ? m.get(0).content() : null;
        List<ChatMessage> turns = system != null ? m.subList(1, m.size()) : m;
        checkAlternation(turns, "llama2");
        for (int i = 0; i < turns.size(); i++) {
            ChatMessage msg = turns.get(i);
            if (msg.role().equals("user")) {
                // the template strips the whole "<<SYS>>...user text"; the block holds no special tokens,
                // so all of it can be content
                String content = i == 0 && system != null
                        ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + msg.content() : msg.content();
                wrapped(out, bos + "[INST] ", content.strip(), " [/INST]");
            } else {
                wrapped(out, " ", msg.content().strip(), " " + eos);
            }
        }
    }

    /** Mistral instruct v0.1: like Llama 2 without the system block, replies glued to [/INST]. */
    private static void mistral(List<ChatMessage> m, List<PromptPart> out, String bos, String eos) {
        String system = !m.isEmpty() && m.get(0).role().equals("system") ? m.get(0).content() : null;
        List<ChatMessage> turns = system != null ? m.subList(1, m.size()) : m;
        checkAlternation(turns, "mistral");
        out.add(PromptPart.markup(bos));
        for (int i = 0; i < turns.size(); i++) {
            ChatMessage msg = turns.get(i);
            if (msg.role().equals("user")) {
                wrapped(out, "[INST] ", i == 0 && system != null ? system + "\n\n" + msg.content() : msg.content(), " [/INST]");
            } else {
                out.add(PromptPart.content(msg.content()));
                out.add(PromptPart.markup(eos));
            }
        }
    }

    private static void checkAlternation(List<ChatMessage> turns, String family) {
        for (int i = 0; i < turns.size(); i++) {
            String expected = i % 2 == 0 ? "user" : "assistant";
            if (!turns.get(i).role().equals(expected)) {
                throw new TandemException("the " + family + " chat format needs turns alternating user/assistant, "
                        + "starting with user; turn " + (i + 1) + " is " + turns.get(i).role());
            }
        }
    }
}

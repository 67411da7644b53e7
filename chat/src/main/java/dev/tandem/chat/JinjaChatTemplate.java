package dev.tandem.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.tandem.core.TandemException;
import dev.tandem.models.tokenizer.ChatMessage;
import dev.tandem.models.tokenizer.PromptFormat;
import dev.tandem.models.tokenizer.PromptPart;
import dev.tandem.models.tokenizer.ToolCallSyntax;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELResolver;

/**
 * A model's own chat template (the Jinja source in GGUF {@code tokenizer.chat_template} or
 * tokenizer_config.json's {@code chat_template}), rendered as transformers' {@code apply_chat_template}
 * renders it: jinjava with {@code trim_blocks} and Jinja's {@code lstrip_blocks} ({@link LstripBlocks}), Jinja's operator precedence, no
 * re-rendering of values (message text is never template code), Python's string methods
 * ({@link PythonStringMethods}), and transformers' additions:
 * {@code raise_exception}, {@code strftime_now}, and {@code tojson} as Python's {@code json.dumps} writes.
 * The variables are {@code messages}, {@code add_generation_prompt}, {@code bos_token}, {@code eos_token} and
 * any the caller adds ({@code tools}, {@code date_string}...).
 */
public final class JinjaChatTemplate implements PromptFormat {
    /** End-of-turn texts of the common families, looked for in the template (Gemma's is not its EOS). */
    private static final List<String> TURN_ENDS = List.of("<|eot_id|>", "<|im_end|>", "<end_of_turn>", "<|end|>", "<|eot|>");

    private static final Jinjava JINJAVA = environment();

    private final String source;
    private final String template;

    private JinjaChatTemplate(String source) {
        this.source = source;
        this.template = JinjaRewrites.apply(LstripBlocks.apply(source));
    }

    /**
     * The template {@code source}; it is rendered once on a one-message conversation, so a template that
     * does not parse fails here, naming the line, rather than on the first request.
     */
    public static JinjaChatTemplate of(String source, String bos, String eos) {
        if (source == null || source.isBlank()) {
            throw new TandemException("the chat template is empty");
        }
        JinjaChatTemplate t = new JinjaChatTemplate(source);
        t.render(List.of(ChatMessage.user("Hello")), true, bos, eos);
        return t;
    }

    @Override
    public String name() {
        return "jinja";
    }

    @Override
    public String endOfTurn(String eos) {
        for (String end : TURN_ENDS) {
            if (source.contains(end)) {
                return end;
            }
        }
        return eos;
    }

    /**
     * The tool-call syntax the template's own markup teaches the model: Hermes' {@code <tool_call>} blocks,
     * Mistral's {@code [TOOL_CALLS]}, DeepSeek-V3's calls markers, Llama 3's JSON with {@code "parameters"}
     * (its templates name the {@code ipython} role or {@code <|python_tag|>}); null for templates without tools.
     */
    @Override
    public ToolCallSyntax toolCalls() {
        if (source.contains("<tool_call>")) {
            return MarkedToolCalls.HERMES;
        }
        if (source.contains("[TOOL_CALLS]")) {
            return JsonToolCalls.MISTRAL;
        }
        if (source.contains("<｜tool▁calls▁begin｜>")) {
            return MarkedToolCalls.DEEPSEEK;
        }
        if (source.contains("<|python_tag|>") || source.contains("ipython") && source.contains("\"parameters\"")) {
            return JsonToolCalls.LLAMA3;
        }
        return null;
    }

    @Override
    public List<PromptPart> render(List<ChatMessage> messages, boolean addGenerationPrompt, String bos, String eos) {
        return render(messages, List.of(), addGenerationPrompt, bos, eos);
    }

    /** With {@code tools} as the template's {@code tools} variable (left undefined when there are none, as transformers does). */
    @Override
    public List<PromptPart> render(List<ChatMessage> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt,
                                   String bos, String eos) {
        List<Map<String, Object>> real = new ArrayList<>();
        List<Map<String, Object>> marked = new ArrayList<>();
        List<String> contents = new ArrayList<>();
        for (ChatMessage m : messages) {
            real.add(message(m, m.content()));
            boolean mark = m.content() != null && ContentSpans.replaceable(m.content());
            marked.add(message(m, mark ? ContentSpans.placeholder(contents.size()) : m.content()));
            if (mark) {
                contents.add(m.content());
            }
        }
        Map<String, Object> variables = new HashMap<>(Map.of("bos_token", bos, "eos_token", eos));
        if (!tools.isEmpty()) {
            variables.put("tools", tools);
        }
        String text = render(real, addGenerationPrompt, variables);
        List<PromptPart> parts = ContentSpans.split(text, render(marked, addGenerationPrompt, variables), contents);
        return parts != null ? parts : List.of(PromptPart.markup(text));
    }

    /**
     * The prompt text for {@code messages} (maps as in the OpenAI API: role, content, tool_calls...), with
     * {@code variables} added to the template's context ({@code bos_token}, {@code eos_token}, {@code tools}...).
     * A template's {@code raise_exception} and any rendering error become a {@link TandemException} naming it.
     */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt, Map<String, Object> variables) {
        Map<String, Object> context = new HashMap<>(variables);
        // transformers' functions are variables too: templates ask `strftime_now is defined` before calling it
        context.putIfAbsent("strftime_now", "strftime_now");
        context.putIfAbsent("raise_exception", "raise_exception");
        context.put("messages", messages);
        context.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result;
        try {
            result = JINJAVA.renderForResult(template, context);
        } catch (TemplateFunctions.Raised e) {
            throw refused(e);
        } catch (RuntimeException e) {
            throw new TandemException("the chat template failed to render: " + e.getMessage());
        }
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() != TemplateError.ErrorType.FATAL) {
                continue;
            }
            for (Throwable c = e.getException(); c != null; c = c.getCause()) {
                if (c instanceof TemplateFunctions.Raised r) {
                    throw refused(r);
                }
            }
            throw new TandemException("the chat template failed to render: line " + e.getLineno() + ": " + e.getMessage());
        }
        return result.getOutput();
    }

    private static TandemException refused(TemplateFunctions.Raised e) {
        return new TandemException("the model's chat template refused the conversation: " + e.getMessage());
    }

    /** The message as transformers passes it: OpenAI's fields, the optional ones only when present. */
    private static Map<String, Object> message(ChatMessage message, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", message.role());
        m.put("content", content);
        if (message.name() != null) {
            m.put("name", message.name());
        }
        if (!message.toolCalls().isEmpty()) {
            m.put("tool_calls", message.toolCalls());
        }
        if (message.toolCallId() != null) {
            m.put("tool_call_id", message.toolCallId());
        }
        return m;
    }

    private static Jinjava environment() {
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withNestedInterpretationEnabled(false)
                .withElResolver(resolver())
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withKeepNullableLoopValues(true)
                        .withHandleBackslashInQuotesOnly(true)
                        .withAllowAdjacentTextNodes(true)
                        .withEvaluateMapKeys(true)
                        .build())
                .build();
        Jinjava j = new Jinjava(config);
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class, "raiseException", String.class));
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class, "strftimeNow", String.class));
        j.getGlobalContext().registerFilter(new ToJson());
        j.getGlobalContext().registerFilter(new Trim());
        j.getGlobalContext().registerExpTest(new Iterable());
        return j;
    }

    /** Python's string methods first, then jinjava's own resolvers as jinjava configures them by default. */
    private static ELResolver resolver() {
        CompositeELResolver r = new CompositeELResolver();
        r.add(new PythonStringMethods());
        r.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        return r;
    }

    /** {@code tojson} and {@code tojson(indent=N)} as transformers defines it. */
    private static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return PythonJson.dumps(var, args.length > 0 ? Integer.valueOf(args[0].strip()) : null);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            return PythonJson.dumps(var, indent == null ? null : ((Number) (indent instanceof String s ? Integer.valueOf(s.strip()) : indent)).intValue());
        }
    }

    /** {@code is iterable} as Python answers it: a string is iterable (Llama 3.2 writes a tool's text result as JSON because of it). */
    private static final class Iterable implements ExpTest {
        @Override
        public String getName() {
            return "iterable";
        }

        @Override
        public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
            return var instanceof CharSequence || var instanceof java.lang.Iterable<?> || var instanceof Map<?, ?> || (var != null && var.getClass().isArray());
        }
    }

    /** {@code trim} as Python's {@code str.strip()}. */
    private static final class Trim implements Filter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return var == null ? null : PythonStrings.strip(var.toString());
        }
    }
}

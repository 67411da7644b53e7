package dev.tandem.cli;

import dev.tandem.options.MethodFlags;
import dev.tandem.core.Backend;
import dev.tandem.core.TandemException;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.GenerationResult;
import dev.tandem.decoding.GenerationStats;
import dev.tandem.decoding.Generator;
import dev.tandem.decoding.Methods;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.StopReason;
import dev.tandem.decoding.TokenStream;
import dev.tandem.models.Llama2cTokenizer;
import dev.tandem.models.Model;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import dev.tandem.models.tokenizer.ChatMessage;
import dev.tandem.models.tokenizer.ChatTemplate;
import dev.tandem.models.tokenizer.PromptFormat;
import dev.tandem.models.tokenizer.SentencePieceBpe;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Chat with a model: each line you type is a user turn; the reply streams back and the "
                + "conversation is kept (commands: /reset, /exit). With --message, the given turns run without input "
                + "(also: pipe lines into stdin). The prompt format comes from the model's chat template, or --template."})
final class ChatCommand extends TandemCommand {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--system", paramLabel = "TEXT", description = "System message that opens the conversation.")
    String system;

    @Option(names = "--template", paramLabel = "NAME",
            description = "Prompt format instead of the model's own Jinja chat template: llama2, llama3, chatml (qwen2 adds "
                    + "Qwen's default system message), zephyr, mistral or raw (default: the model's template; raw when it has none).")
    String template;

    @Option(names = "--message", paramLabel = "TEXT", description = "A user turn (repeatable): run these and exit instead of reading stdin.")
    List<String> messages = new ArrayList<>();

    @Mixin
    GenerationOptions generation;

    @Mixin
    MethodFlags methodFlags;

    @Option(names = "--stats", description = "After each reply, print its decoding figures to stderr.")
    boolean stats;

    @Override
    Integer run() {
        methodFlags.check(true);
        if (template != null) {
            ChatTemplate.named(template); // a bad name fails before the model loads
        }
        generation.check();
        long baseSeed = generation.seedOrClock();
        try (Model model = modelOptions.loadModel(); Backend backend = modelOptions.backend()) {
            Tokenizer tokenizer = modelOptions.loadTokenizer(model);
            if (tokenizer instanceof Llama2cTokenizer l) {
                tokenizer = SentencePieceBpe.fromLlama2c(l); // same encoding, and its <s>/</s> parse as tokens
            }
            PromptFormat format = PromptFormats.choose(template, tokenizer);
            if (template == null && format.name().equals("raw")) {
                stderr.println("note: the model has no chat template, so turns are joined as plain text (raw); "
                        + "choose a format with --template NAME");
            }
            List<Model> drafts = methodFlags.loadDraftModels();
            try {
                Generator generator = Methods.create(methodFlags.method(), new Transformer(model, backend), tokenizer, methodFlags.options(drafts));
                Conversation c = new Conversation(tokenizer, format, generator, model.config().contextLength(), baseSeed);
                if (!messages.isEmpty()) {
                    for (String m : messages) {
                        c.turn(m, false);
                    }
                } else {
                    readTurns(c);
                }
            } finally {
                drafts.forEach(Model::close);
            }
        }
        return 0;
    }

    /** Lines from stdin until EOF or /exit; a prompt is shown only when a person is typing. */
    private void readTurns(Conversation c) {
        boolean console = System.console() != null;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            while (true) {
                if (console) {
                    stdout.print("> ");
                    stdout.flush();
                }
                String line = in.readLine();
                if (line == null || line.strip().equals("/exit") || line.strip().equals("/quit")) {
                    return;
                }
                if (line.strip().equals("/reset")) {
                    c.reset();
                    stderr.println("(conversation cleared)");
                } else if (!line.isBlank()) {
                    c.turn(line, true);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The messages so far and how one more turn runs. */
    private final class Conversation {
        private final Tokenizer tokenizer;
        private final PromptFormat format;
        private final Generator generator;
        private final int context;
        private final long baseSeed;
        private final List<ChatMessage> history = new ArrayList<>();
        private final List<String> stopStrings = new ArrayList<>();
        private int turns;

        Conversation(Tokenizer tokenizer, PromptFormat format, Generator generator, int context, long baseSeed) {
            this.tokenizer = tokenizer;
            this.format = format;
            this.generator = generator;
            this.context = context;
            this.baseSeed = baseSeed;
            String endOfTurn = format.endOfTurn(tokenizer.eosText());
            if (endOfTurn != null && tokenizer.tokenId(endOfTurn) < 0) {
                stopStrings.add(endOfTurn); // the marker is text here, not one token: stop on its text
            }
            reset();
        }

        void reset() {
            history.clear();
            if (system != null) {
                history.add(ChatMessage.system(system));
            }
        }

        /** Runs one user turn; in interactive mode a turn that does not fit is refused and the chat goes on. */
        void turn(String userText, boolean interactive) {
            history.add(ChatMessage.user(userText));
            int[] prompt = tokenizer.encodeChat(format, history, List.of());
            if (prompt.length >= context) {
                history.remove(history.size() - 1);
                String msg = "the conversation is now " + prompt.length + " tokens, which does not fit the model's context of "
                        + context + " tokens" + (interactive ? "; /reset to start over" : "");
                if (!interactive) {
                    throw new TandemException(msg);
                }
                stderr.println("error: " + msg);
                return;
            }
            int room = context - prompt.length;
            int maxNew = Math.min(room, generation.maxNewTokens(room));
            SamplingParams params = generation.params(baseSeed + turns++);
            GenerationRequest request = new GenerationRequest(prompt, maxNew, params, stopStrings);
            boolean trim = !format.name().equals("raw");
            boolean[] started = {!trim};
            TokenStream stream = text -> {
                if (!started[0]) {
                    text = text.stripLeading(); // the reply's first token usually carries the space after the cue
                    if (text.isEmpty()) {
                        return;
                    }
                    started[0] = true;
                }
                stdout.print(text);
                stdout.flush();
            };
            GenerationResult result = generator.generate(request, stream);
            stdout.println();
            stdout.flush();
            history.add(ChatMessage.assistant(trim ? result.text().strip() : result.text()));
            if (stats) {
                GenerationStats s = result.stats();
                stderr.printf("[%s] prompt %d tokens, reply %d tokens in %.3f s, %.1f tokens/s, mean accepted length %.2f (%s)%n",
                        generator.method(), prompt.length, s.tokens(), s.seconds(), s.tokensPerSecond(),
                        s.meanAcceptedLength(), result.stopReason().name().toLowerCase());
            }
            if (result.stopReason() == StopReason.LENGTH && maxNew == room) {
                stderr.println("note: the reply filled the model's context of " + context + " tokens; /reset to start over");
            }
        }
    }
}

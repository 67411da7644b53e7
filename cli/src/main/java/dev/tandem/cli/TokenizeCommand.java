package dev.tandem.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.tandem.core.TandemException;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.StringJoiner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Token ids of a text, as the model would see it. Special-token text in it (<|eot_id|>, <s>...) is "
                + "read as those tokens, as Hugging Face tokenizers do; BOS is added only with --special."})
final class TokenizeCommand extends TandemCommand {
    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "A tokenizer.json, a folder holding one, or a llama2.c tokenizer .bin.")
    Path tokenizer;

    @Option(names = "--model", paramLabel = "PATH", description = "Or a model whose tokenizer to use (a GGUF's own, or the one beside it).")
    Path model;

    @Option(names = "--json", description = "Print {\"ids\":[...]}.")
    boolean json;

    @Option(names = "--special", description = "Add BOS where the tokenizer adds one, as generation does.")
    boolean special;

    @Parameters(index = "0", paramLabel = "TEXT", description = "The text.")
    String text;

    @Override
    Integer run() throws IOException {
        int[] ids;
        if (model != null) {
            try (Model m = ModelLoader.load(model)) {
                ids = encode(Tokenizers.forModel(m, tokenizer));
            }
        } else if (tokenizer != null) {
            ids = encode(Tokenizers.load(tokenizer, 0));
        } else {
            throw new TandemException("name a tokenizer (--tokenizer PATH) or a model (--model PATH)");
        }
        if (json) {
            JsonGenerator g = new JsonFactory().createGenerator(stdout);
            g.writeStartObject();
            g.writeArrayFieldStart("ids");
            for (int id : ids) {
                g.writeNumber(id);
            }
            g.writeEndArray();
            g.writeEndObject();
            g.flush();
            stdout.println();
        } else {
            StringJoiner line = new StringJoiner(" ");
            for (int id : ids) {
                line.add(Integer.toString(id));
            }
            stdout.println(line);
        }
        return 0;
    }

    private int[] encode(Tokenizer t) {
        return t.encode(text, special, false, true);
    }
}

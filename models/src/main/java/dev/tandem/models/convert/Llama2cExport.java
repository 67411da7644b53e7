package dev.tandem.models.convert;

import dev.tandem.core.DType;
import dev.tandem.core.TandemException;
import dev.tandem.models.LayerWeights;
import dev.tandem.models.LlamaConfig;
import dev.tandem.models.Model;
import dev.tandem.models.io.MappedOutput;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongConsumer;

/**
 * Writes a model as a llama2.c legacy checkpoint (F32, adjacent RoPE pairs). The format has no room for
 * biases, RoPE scaling, a theta other than 10000 or a tokenizer; such models are refused with the reason.
 */
public final class Llama2cExport {
    private Llama2cExport() {}

    public static void write(Model m, Path out, LongConsumer progress) {
        LlamaConfig c = m.config();
        List<LayerWeights> ls = m.weights().layers();
        if (ls.get(0).bq() != null) {
            throw new TandemException("the llama2.c format cannot hold query/key/value biases (" + c.architecture() + " model)");
        }
        if (c.rope().scaled() || c.ropeTheta() != 10000f) {
            throw new TandemException("the llama2.c format fixes RoPE to theta 10000 without scaling; this model uses theta "
                    + c.ropeTheta() + (c.rope().scaled() ? " with scaling" : ""));
        }
        List<ExportTensor> order = new ArrayList<>();
        List<ModelTensors.Entry> all = ModelTensors.of(m);
        Function<String, ExportTensor> t = name -> all.stream().filter(e -> e.gguf().equals(name)).findFirst()
                .map(e -> ModelTensors.export(e, c, false, DType.F32)).orElseThrow();
        order.add(t.apply("token_embd.weight"));
        for (String part : new String[] {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_down", "ffn_up"}) {
            for (int l = 0; l < c.layers(); l++) {
                order.add(t.apply("blk." + l + "." + part + ".weight"));
            }
        }
        order.add(t.apply("output_norm.weight"));
        long ropeTables = 2L * c.contextLength() * (c.headSize() / 2) * 4; // legacy freq_cis, unused by readers
        long total = 28 + ropeTables;
        for (ExportTensor e : order) {
            total += e.bytes();
        }
        ExportTensor classifier = c.sharedClassifier() ? null : t.apply("output.weight");
        total += classifier == null ? 0 : classifier.bytes();
        MappedOutput.write(out, total, file -> {
            int[] header = {c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(),
                    c.sharedClassifier() ? c.vocabSize() : -c.vocabSize(), c.contextLength()};
            for (int i = 0; i < header.length; i++) {
                file.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i, header[i]);
            }
            long pos = 28, done = 0;
            for (ExportTensor e : order) {
                e.fill(file.asSlice(pos, e.bytes()));
                pos += e.bytes();
                done += e.bytes();
                progress.accept(done);
            }
            pos += ropeTables; // zeros
            if (classifier != null) {
                classifier.fill(file.asSlice(pos, classifier.bytes()));
                progress.accept(done + classifier.bytes());
            }
        });
    }
}

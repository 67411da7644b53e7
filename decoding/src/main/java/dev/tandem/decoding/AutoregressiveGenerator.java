package dev.tandem.decoding;

import dev.tandem.models.Batch;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;

/** Plain decoding: one target forward pass per token. The baseline every other method must reproduce. */
public record AutoregressiveGenerator(Transformer transformer, Tokenizer tokenizer) implements Generator {
    @Override
    public String method() {
        return "ar";
    }

    @Override
    public GenerationResult generate(GenerationRequest request, TokenStream stream) {
        OutputTracker out = OutputTracker.begin(transformer, tokenizer, request, stream);
        int[] prompt = request.promptTokens();
        Sampler sampler = new Sampler(request.sampling());

        long start = DecodingClock.nanoTime();
        float[] logits = Prefill.run(transformer, prompt);
        long promptDone = DecodingClock.nanoTime();
        int forwards = 1;
        while (true) {
            int token = sampler.sample(logits);
            if (!out.accept(token)) {
                break;
            }
            logits = transformer.forward(Batch.chain(token)).logits(0);
            transformer.cache().commit(0);
            forwards++;
        }
        long end = DecodingClock.nanoTime();
        GenerationStats stats = new GenerationStats(out.count(), forwards, (end - start) / 1e9,
                (promptDone - start) / 1e9, request.sampling().seed());
        return new GenerationResult(prompt, out.tokens(), out.text(), out.stopReason(), stats);
    }
}

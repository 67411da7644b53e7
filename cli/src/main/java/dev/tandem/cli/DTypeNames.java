package dev.tandem.cli;

import dev.tandem.models.convert.QuantMix;
import java.util.Iterator;

/**
 * The names {@code --dtype} takes when writing, for its help: the weight types Tandem writes (from {@code DType}
 * itself rather than a copy in each command) and llama.cpp's mixes ({@link QuantMix}).
 */
final class DTypeNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
        return QuantMix.allNames().iterator();
    }
}

package dev.tandem.options;

import dev.tandem.decoding.Methods;
import java.util.Iterator;

/** The names {@code --method} takes, for its help and shell completion: the registry's, not a copy in the help text. */
public final class MethodNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
        return Methods.AVAILABLE.iterator();
    }
}

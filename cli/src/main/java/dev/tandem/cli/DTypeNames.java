package dev.tandem.cli;

import dev.tandem.core.DType;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;

/** The names of the weight types Tandem writes, for {@code --dtype} help, from {@link DType} itself rather than a copy in each command. */
final class DTypeNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
        return Arrays.stream(DType.values()).filter(DType::writable).map(t -> t.name().toLowerCase(Locale.ROOT)).iterator();
    }
}

package dev.tandem.models;

/** Test access to the package-private memory check with a given amount of free heap. */
public final class MemoryBudgetAccess {
    private MemoryBudgetAccess() {}

    public static void require(Model m, long freeBytes) {
        MemoryBudget.require(m, m.config().layers(), Transformer.DEFAULT_MAX_BATCH, freeBytes);
    }
}

package dev.tandem.decoding.speculative;

/**
 * A verifier's verdict: the draft nodes accepted, root first (a path), and the token the target adds
 * after them (the correction at the first rejection, or the bonus token after a fully accepted path).
 */
public record Acceptance(int[] path, int nextToken) {
    public int acceptedLength() {
        return path.length;
    }
}

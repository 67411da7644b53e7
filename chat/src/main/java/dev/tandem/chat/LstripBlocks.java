package dev.tandem.chat;

/**
 * Jinja's {@code lstrip_blocks}, which transformers turns on: spaces and tabs between the start of a line and
 * a block or comment tag are removed. jinjava's own option also strips them when text precedes the tag on
 * its line ({@code "A: {% endif %}"} loses the space Jinja keeps), so it stays off and the source is
 * rewritten before jinjava parses it. {@code {%+} keeps the spaces, as in Jinja; {@code {%-} strips
 * everything anyway.
 */
final class LstripBlocks {
    private LstripBlocks() {}

    static String apply(String template) {
        return TemplateTags.rewrite(template, "%#", LstripBlocks::tag);
    }

    private static int tag(String template, int open, StringBuilder out) {
        char modifier = open + 2 < template.length() ? template.charAt(open + 2) : 0;
        if (modifier == '+') {
            out.append(template, open, open + 2); // Jinja's "keep the spaces" sign, which jinjava does not read
            return open + 3;
        }
        int lineStart = out.length();
        while (lineStart > 0 && (out.charAt(lineStart - 1) == ' ' || out.charAt(lineStart - 1) == '\t')) {
            lineStart--;
        }
        if (lineStart == 0 || out.charAt(lineStart - 1) == '\n') {
            out.setLength(lineStart);
        }
        int end = template.charAt(open + 1) == '#' ? template.indexOf("#}", open + 2) : rawEnd(template, open);
        end = end < 0 ? template.length() : end + 2;
        out.append(template, open, end);
        return end;
    }

    /**
     * Where the tag at {@code open} ends (its {@code %}, before {@code }}); a {@code raw} block runs to its
     * {@code endraw}, whose text is not template code.
     */
    private static int rawEnd(String s, int open) {
        int close = s.indexOf("%}", open + 2);
        if (close < 0) {
            return -1;
        }
        String tag = s.substring(open + 2, close).replace("-", "").strip();
        if (!tag.equals("raw")) {
            return close;
        }
        int endraw = s.indexOf("endraw", close);
        return endraw < 0 ? -1 : s.indexOf("%}", endraw);
    }
}

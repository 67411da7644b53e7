package dev.tandem.chat;

/** Finding Jinja tags in template source, for the rewrites made before jinjava parses it. */
final class TemplateTags {
    private TemplateTags() {}

    /**
     * The next tag opening at or after {@code from} whose second character is one of {@code kinds}
     * ({@code '%'} block, {@code '{'} expression, {@code '#'} comment), or -1. Comments not asked for are
     * skipped whole, so code-like text inside them is never taken for a tag.
     */
    static int next(String s, int from, String kinds) {
        for (int i = s.indexOf('{', from); i >= 0 && i + 1 < s.length(); i = s.indexOf('{', i + 1)) {
            char c = s.charAt(i + 1);
            if (kinds.indexOf(c) >= 0) {
                return i;
            }
            if (c == '#') {
                int end = s.indexOf("#}", i + 2);
                if (end < 0) {
                    return -1;
                }
                i = end;
            }
        }
        return -1;
    }

    /** Rewrites one tag: appends what replaces the source from {@code open} to {@code out}, returns where the source goes on. */
    interface TagRewrite {
        int apply(String template, int open, StringBuilder out);
    }

    /** The template with each tag of {@code kinds} (as in {@link #next}) rewritten, the text between tags copied. */
    static String rewrite(String template, String kinds, TagRewrite rewrite) {
        StringBuilder out = new StringBuilder(template.length() + 16);
        int i = 0;
        while (i < template.length()) {
            int open = next(template, i, kinds);
            if (open < 0) {
                out.append(template, i, template.length());
                break;
            }
            out.append(template, i, open);
            i = rewrite.apply(template, open, out);
        }
        return out.toString();
    }
}

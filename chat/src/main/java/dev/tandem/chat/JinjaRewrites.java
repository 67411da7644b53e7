package dev.tandem.chat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where jinjava parses Jinja source differently from Jinja, the source is rewritten first into what jinjava
 * reads as Jinja means it. Each rewrite runs inside tags only, on code whose string literals are blanked
 * (so text inside quotes never matches), and copies the original text:
 * <ul>
 *   <li>{@code not x is defined} is {@code not (x is defined)} in Jinja, as in Python; jinjava binds
 *       {@code not} to {@code x} first, so the test asks whether a boolean is defined and is always true
 *       (Llama 3.2's template then drops the tools and the date it was given). Rewritten for the tests that
 *       take no argument, when the operand is a variable path ({@code a.b['c'][0]}), which is how templates
 *       write it.
 *   <li>{@code xs[::-1]}, a reversed copy (Qwen3's template walks its messages backwards), is a syntax
 *       error in jinjava; it becomes {@code (xs|reverse)}.
 *   <li>{@code namespace(a=1, b=xs|length - 1)}: jinjava ends a keyword argument's value at the filter, so
 *       the {@code - 1} applies to the argument itself; each value gets parentheses.
 * </ul>
 */
final class JinjaRewrites {
    private static final String PATH = "[A-Za-z_]\\w*(?:\\.\\w+|\\[[^\\[\\]'\"]*]|\\['[^']*']|\\[\"[^\"]*\"])*";
    private static final Pattern NOT_TEST = Pattern.compile("\\bnot\\s+(" + PATH + ")\\s+is\\s+(not\\s+)?"
            + "(defined|undefined|none|string|number|mapping|iterable|sequence|boolean|true|false|integer|float"
            + "|callable|lower|upper|odd|even)\\b");
    private static final Pattern REVERSED = Pattern.compile("(" + PATH + ")\\[\\s*:\\s*:\\s*-1\\s*]");
    private static final Pattern NAMESPACE = Pattern.compile("\\bnamespace\\s*\\(");

    private JinjaRewrites() {}

    static String apply(String template) {
        return TemplateTags.rewrite(template, "%{", JinjaRewrites::tag);
    }

    private static int tag(String template, int open, StringBuilder out) {
        out.append(template, open, open + 2);
        String close = template.charAt(open + 1) == '%' ? "%}" : "}}";
        int end = tagEnd(template, open + 2, close);
        String code = template.substring(open + 2, end);
        code = replace(code, NOT_TEST, (c, m) -> "not (" + c.substring(m.start(1), m.end(1)) + " is "
                + (m.group(2) == null ? "" : "not ") + m.group(3) + ")");
        code = replace(code, REVERSED, (c, m) -> "(" + c.substring(m.start(1), m.end(1)) + "|reverse)");
        out.append(namespaceArguments(code));
        return end;
    }

    /** Where the tag's code ends (at its closing delimiter), skipping string literals. */
    private static int tagEnd(String s, int from, String close) {
        char quote = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (s.startsWith(close, i)) {
                return i;
            }
        }
        return s.length();
    }

    /** {@code code} with its string literals' contents blanked, same length. */
    private static String masked(String code) {
        char[] m = code.toCharArray();
        char quote = 0;
        for (int i = 0; i < m.length; i++) {
            char c = m[i];
            if (quote == 0) {
                if (c == '\'' || c == '"') {
                    quote = c;
                }
            } else if (c == quote) {
                quote = 0;
            } else {
                if (c == '\\' && i + 1 < m.length) {
                    m[i++] = ' ';
                }
                m[i] = ' ';
            }
        }
        return new String(m);
    }

    private interface Replacement {
        String of(String code, Matcher m);
    }

    private static String replace(String code, Pattern p, Replacement r) {
        Matcher m = p.matcher(masked(code));
        StringBuilder out = new StringBuilder(code.length() + 8);
        int at = 0;
        while (m.find()) {
            out.append(code, at, m.start()).append(r.of(code, m));
            at = m.end();
        }
        return out.append(code, at, code.length()).toString();
    }

    /** Each {@code name=value} argument of {@code namespace(...)} as {@code name=(value)}. */
    private static String namespaceArguments(String code) {
        String masked = masked(code);
        Matcher m = NAMESPACE.matcher(masked);
        StringBuilder out = new StringBuilder(code.length() + 8);
        int at = 0;
        while (m.find(at)) {
            out.append(code, at, m.end());
            int depth = 0;
            int argStart = m.end();
            int i = m.end();
            for (; i < masked.length(); i++) {
                char c = masked.charAt(i);
                if (c == '(' || c == '[' || c == '{') {
                    depth++;
                } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
                    depth--;
                } else if (depth == 0 && (c == ',' || c == ')')) {
                    out.append(argument(code.substring(argStart, i), masked.substring(argStart, i))).append(c);
                    argStart = i + 1;
                    if (c == ')') {
                        break;
                    }
                }
            }
            at = Math.min(i + 1, code.length());
            if (i >= masked.length()) {
                out.append(code, argStart, code.length());
                return out.toString();
            }
        }
        return out.append(code, at, code.length()).toString();
    }

    private static String argument(String arg, String masked) {
        Matcher m = Pattern.compile("^(\\s*[A-Za-z_]\\w*\\s*)=(?!=)(.*)$", Pattern.DOTALL).matcher(masked);
        if (!m.matches() || m.group(2).isBlank()) {
            return arg;
        }
        String value = arg.substring(m.start(2));
        return arg.substring(0, m.end(1)) + "=(" + value.strip() + ")" + value.substring(value.stripTrailing().length());
    }
}

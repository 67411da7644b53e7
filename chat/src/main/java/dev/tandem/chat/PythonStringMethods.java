package dev.tandem.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's {@code str} methods, which chat templates call on message text ({@code content.startswith(...)},
 * {@code content.split('</think>')[-1].lstrip('\n')} in Qwen3's) and which jinjava, whose strings are Java
 * strings, does not have. Put before jinjava's own resolvers, it answers method calls on strings by Python's
 * rules ({@code split} splits on the literal separator, not a regular expression as Java's does) and lets
 * everything else through.
 */
final class PythonStringMethods extends ELResolver {
    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || method == null) {
            return null;
        }
        Object[] p = params == null ? new Object[0] : params;
        Object result = call(s, method.toString(), p);
        if (result != NOT_A_METHOD) {
            context.setPropertyResolved(true);
        }
        return result == NOT_A_METHOD ? null : result;
    }

    private static final Object NOT_A_METHOD = new Object();

    private static Object call(String s, String method, Object[] p) {
        return switch (method) {
            case "startswith" -> anyOf(p[0], s::startsWith);
            case "endswith" -> anyOf(p[0], s::endsWith);
            case "strip" -> PythonStrings.strip(s, chars(p), true, true);
            case "lstrip" -> PythonStrings.strip(s, chars(p), true, false);
            case "rstrip" -> PythonStrings.strip(s, chars(p), false, true);
            case "split" -> split(s, p.length > 0 ? p[0] : null, p.length > 1 ? ((Number) p[1]).intValue() : -1);
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "replace" -> s.replace(p[0].toString(), p[1].toString());
            case "find" -> (long) s.indexOf(p[0].toString());
            case "count" -> count(s, p[0].toString());
            case "join" -> join(s, p[0]);
            default -> NOT_A_METHOD;
        };
    }

    private static boolean anyOf(Object prefixes, java.util.function.Predicate<String> test) {
        if (prefixes instanceof Collection<?> c) {
            return c.stream().anyMatch(x -> test.test(x.toString()));
        }
        return test.test(prefixes.toString());
    }

    private static String chars(Object[] p) {
        return p.length == 0 || p[0] == null ? null : p[0].toString();
    }

    /** Python's {@code str.split}: on a literal separator, or on runs of whitespace when there is none. */
    private static List<String> split(String s, Object separator, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (separator == null) {
            int i = 0;
            while (true) {
                while (i < s.length() && PythonStrings.isSpace(s.charAt(i))) {
                    i++;
                }
                if (i == s.length()) {
                    return out;
                }
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(s.substring(i)); // Python keeps the rest as it is, trailing whitespace included
                    return out;
                }
                int j = i;
                while (j < s.length() && !PythonStrings.isSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
        }
        String sep = separator.toString();
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("split: empty separator");
        }
        int from = 0;
        for (int at = s.indexOf(sep); at >= 0 && (maxSplit < 0 || out.size() < maxSplit); at = s.indexOf(sep, from)) {
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousCased = Character.isLetter(c);
        }
        return out.toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1L;
        }
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String separator, Object items) {
        StringJoiner j = new StringJoiner(separator);
        if (items instanceof Iterable<?> it) {
            it.forEach(x -> j.add(String.valueOf(x)));
        } else {
            j.add(String.valueOf(items));
        }
        return j.toString();
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}
}

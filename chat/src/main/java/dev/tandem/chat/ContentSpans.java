package dev.tandem.chat;

import dev.tandem.models.tokenizer.PromptPart;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds where message text sits in a rendered prompt, so that special-token text typed by a user stays text
 * (a message cannot forge a turn). The template is rendered a second time with each non-empty message
 * content replaced by a placeholder; the placeholder rendering, read left to right, must reproduce the real
 * one with each placeholder standing for its content as given or trimmed (templates {@code trim} content).
 * Where it does not (a template that slices content or writes it as JSON), there are no spans and the whole
 * prompt is markup, as transformers and llama.cpp treat every prompt.
 */
final class ContentSpans {
    private static final char OPEN = '\uE000';
    private static final char CLOSE = '\uE001';

    private ContentSpans() {}

    /** The placeholder for content number {@code i}: private-use characters, no whitespace to trim. */
    static String placeholder(int i) {
        return OPEN + Integer.toString(i) + CLOSE;
    }

    /** Whether a content can be rendered as a placeholder and found again (empty content is falsy in templates). */
    static boolean replaceable(String content) {
        return !content.isEmpty() && content.indexOf(OPEN) < 0 && content.indexOf(CLOSE) < 0;
    }

    /** The prompt as markup and content parts, or null when {@code withPlaceholders} does not map onto {@code rendered}. */
    static List<PromptPart> split(String rendered, String withPlaceholders, List<String> contents) {
        List<Object> segments = segments(withPlaceholders);
        List<PromptPart> parts = new ArrayList<>();
        int pos = 0;
        for (int s = 0; s < segments.size(); s++) {
            Object seg = segments.get(s);
            if (seg instanceof String literal) {
                if (!rendered.startsWith(literal, pos)) {
                    return null;
                }
                add(parts, PromptPart.markup(literal));
                pos += literal.length();
                continue;
            }
            int index = (Integer) seg;
            if (index >= contents.size()) {
                return null;
            }
            String chosen = null;
            for (String candidate : variants(contents.get(index))) {
                int after = pos + candidate.length();
                if (rendered.startsWith(candidate, pos) && fits(rendered, after, segments, s + 1)) {
                    chosen = candidate;
                    break;
                }
            }
            if (chosen == null) {
                return null;
            }
            add(parts, PromptPart.content(chosen));
            pos += chosen.length();
        }
        return pos == rendered.length() ? parts : null;
    }

    /** The next segment, when it is literal text, must follow at {@code at}; the end must be the end. */
    private static boolean fits(String rendered, int at, List<Object> segments, int next) {
        if (next == segments.size()) {
            return at == rendered.length();
        }
        return !(segments.get(next) instanceof String literal) || rendered.startsWith(literal, at);
    }

    private static Set<String> variants(String content) {
        Set<String> v = new LinkedHashSet<>();
        v.add(content);
        v.add(PythonStrings.strip(content));
        v.add(content.strip());
        return v;
    }

    private static void add(List<PromptPart> parts, PromptPart p) {
        if (p.text().isEmpty()) {
            return;
        }
        int last = parts.size() - 1;
        if (last >= 0 && parts.get(last).markup() && p.markup()) {
            parts.set(last, PromptPart.markup(parts.get(last).text() + p.text()));
        } else {
            parts.add(p);
        }
    }

    /** Literal text (String) and placeholder numbers (Integer), in order. */
    private static List<Object> segments(String s) {
        List<Object> out = new ArrayList<>();
        int at = 0;
        while (at < s.length()) {
            int open = s.indexOf(OPEN, at);
            int close = open < 0 ? -1 : s.indexOf(CLOSE, open);
            if (open < 0 || close < 0) {
                out.add(s.substring(at));
                break;
            }
            if (open > at) {
                out.add(s.substring(at, open));
            }
            out.add(Integer.parseInt(s.substring(open + 1, close)));
            at = close + 1;
        }
        return out;
    }
}

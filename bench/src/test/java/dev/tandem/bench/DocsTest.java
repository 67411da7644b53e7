package dev.tandem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The README and the docs/ pages cannot rot silently: every page is linked from the README, every relative
 * link resolves, and every {@code ./tandem ...} command line they show (in code blocks and inline code) names
 * commands and options that exist in {@code tandem}'s or {@code tandem bench}'s command tree. (The commands
 * themselves run in the tests of their features; here, what the docs say about them is held to the code.)
 */
class DocsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern INLINE = Pattern.compile("`(\\./tandem [^`]+)`");
    private static final Pattern OPTION = Pattern.compile("^\\[?(--?[A-Za-z][A-Za-z0-9-]*)");

    private static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    @Test
    void everyDocsPageIsLinkedFromTheReadme() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        List<String> unlinked = new ArrayList<>();
        for (Path page : pages().subList(1, pages().size())) {
            if (!readme.contains("](docs/" + page.getFileName() + ")") && !readme.contains("](docs/" + page.getFileName() + "#")) {
                unlinked.add(page.getFileName().toString());
            }
        }
        assertEquals(List.of(), unlinked, "docs pages the README does not link");
        assertTrue(readme.lines().count() <= 200, "the README stays at most 200 lines");
    }

    @Test
    void relativeLinksResolve() throws IOException {
        List<String> broken = new ArrayList<>();
        for (Path page : pages()) {
            Matcher m = LINK.matcher(Files.readString(page));
            while (m.find()) {
                String target = m.group(1);
                if (target.startsWith("http://") || target.startsWith("https://") || target.startsWith("mailto:") || target.startsWith("#")) {
                    continue;
                }
                int hash = target.indexOf('#');
                Path file = page.getParent().resolve(hash < 0 ? target : target.substring(0, hash)).normalize();
                if (!Files.exists(file)) {
                    broken.add(ROOT.relativize(page) + ": " + target);
                }
            }
        }
        assertEquals(List.of(), broken, "links to files that do not exist");
    }

    @Test
    void commandLinesNameCommandsAndOptionsThatExist() throws IOException {
        CommandLine tandem = new CommandLine(new dev.tandem.cli.Main());
        CommandLine bench = Main.commandLine();
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (Path page : pages()) {
            for (String command : commands(Files.readString(page))) {
                String problem = check(command, tandem, bench);
                if (problem != null) {
                    wrong.add(ROOT.relativize(page) + ": " + command + "\n    " + problem);
                }
                checked++;
            }
        }
        assertTrue(checked >= 40, "the docs show command lines: " + checked);
        assertEquals(List.of(), wrong, "command lines whose command or options do not exist");
    }

    /** Every {@code ./tandem ...} in a code block line or in inline code, up to a comment or the next one. */
    static List<String> commands(String markdown) {
        List<String> out = new ArrayList<>();
        boolean fenced = false;
        for (String line : markdown.split("\n")) {
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                int at = line.indexOf("./tandem ");
                if (at >= 0 && line.substring(0, at).isBlank()) {
                    String cmd = line.substring(at);
                    int comment = cmd.indexOf(" #");
                    for (String one : (comment < 0 ? cmd : cmd.substring(0, comment)).split(",? (?=\\./tandem )")) {
                        out.add(one.strip());
                    }
                }
            } else {
                Matcher m = INLINE.matcher(line);
                while (m.find()) {
                    out.add(m.group(1).strip());
                }
            }
        }
        return out;
    }

    /** Null when the command and its options exist; else what does not. */
    static String check(String command, CommandLine tandem, CommandLine bench) {
        List<String> words = new ArrayList<>(List.of(command.split("\\s+")));
        words.remove(0); // ./tandem
        if (words.isEmpty() || words.get(0).equals("test") || words.get(0).equals("jmh")) {
            return null; // the launcher's own: the test suite, JMH's command line
        }
        CommandLine cl = tandem;
        if (words.get(0).equals("bench")) {
            cl = bench;
            words.remove(0);
        }
        if (!words.isEmpty() && !words.get(0).startsWith("-") && !words.get(0).startsWith("[")) {
            String name = words.remove(0).replaceAll("[,.]+$", "");
            if (name.matches("[A-Z_]+")) {
                return null; // a placeholder (./tandem bench NAME --help)
            }
            CommandLine sub = cl.getSubcommands().get(name);
            if (sub == null) {
                return "no command '" + name + "' (there are: " + cl.getSubcommands().keySet() + ")";
            }
            cl = sub;
        }
        for (String w : words) {
            Matcher m = OPTION.matcher(w);
            if (m.find() && cl.getCommandSpec().findOption(m.group(1)) == null) {
                return "'" + cl.getCommandSpec().qualifiedName() + "' has no option " + m.group(1);
            }
        }
        return null;
    }
}

package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code tandem serve --port 0} as a process of its own, started and read until it says where it listens. */
record ServeProcess(Process process, int port, BufferedReader out, StringBuilder log) implements AutoCloseable {
    static ServeProcess start(String... flags) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.tandem.cli.Main", "serve",
                "--model", CliTest.MODEL.toString(), "--port", "0", "--warmup-seconds", "0"));
        command.addAll(List.of(flags));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder log = new StringBuilder();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        int port = -1;
        for (String line; port < 0 && (line = out.readLine()) != null; ) {
            log.append(line).append('\n');
            Matcher m = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)").matcher(line);
            if (m.find()) {
                port = Integer.parseInt(m.group(1));
            }
        }
        assertTrue(port > 0, "the server said where it listens: " + log);
        return new ServeProcess(p, port, out, log);
    }

    /** SIGTERM, as a service manager sends it (Process.destroy would also close our end of its output). */
    void terminate() throws IOException, InterruptedException {
        assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).start().waitFor(), "kill -TERM");
    }

    /** The rest of its output, once it has exited. */
    String drain() throws IOException {
        for (String l; (l = out.readLine()) != null; ) {
            log.append(l).append('\n');
        }
        return log.toString();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}

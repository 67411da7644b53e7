package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code tandem serve} as a process: SIGTERM while a request runs ends it within the deadline, exit 0, no trace. */
class ServeShutdownTest {
    @Test
    void sigtermFinishesOrCancelsRunningRequestsAndExitsZero() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.tandem.cli.Main", "serve", "--model", CliTest.MODEL.toString(),
                "--port", "0", "--warmup-seconds", "0", "--shutdown-timeout", "0.2", "--threads", "1"))
                .redirectErrorStream(true).start();
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
        String body = "{\"model\":\"stories260K\",\"prompt\":\"Once\",\"max_tokens\":500,\"temperature\":0.8,\"seed\":1,\"stream\":true}";
        try (Socket client = new Socket("127.0.0.1", port)) {
            client.setSoTimeout(20_000);
            client.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
            BufferedReader events = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("HTTP/1.1 200 OK", events.readLine());
            String line;
            while ((line = events.readLine()) != null && !line.startsWith("data: ")) {
                // headers, then the first event
            }
            assertTrue(line != null, "the stream is under way");
            // SIGTERM as a service manager sends it (Process.destroy would also close our end of its output)
            assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor());
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the server stopped within its deadline");
            for (String l; (l = out.readLine()) != null; ) {
                log.append(l).append('\n');
            }
            assertEquals(0, p.exitValue(), log.toString());
            assertTrue(log.toString().contains("tandem: stopped ("), log.toString());
            assertFalse(log.toString().contains("\tat ") || log.toString().contains("Exception"), "no stack trace: " + log);
            int more = 0;
            while (events.readLine() != null) {
                more++;
            }
            assertTrue(more < 2000, "the stream ended when the server stopped");
        } finally {
            p.destroyForcibly();
        }
    }
}

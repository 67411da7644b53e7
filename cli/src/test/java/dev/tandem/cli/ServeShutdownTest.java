package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code tandem serve} as a process: SIGTERM while a request runs ends it within the deadline, exit 0, no trace. */
class ServeShutdownTest {
    @Test
    void sigtermFinishesOrCancelsRunningRequestsAndExitsZero() throws Exception {
        ServeProcess server = ServeProcess.start("--shutdown-timeout", "0.2", "--threads", "1");
        Process p = server.process();
        int port = server.port();
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
            server.terminate();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the server stopped within its deadline");
            String log = server.drain();
            assertEquals(0, p.exitValue(), log);
            assertTrue(log.contains("tandem: stopped ("), log);
            assertFalse(log.contains("\tat ") || log.contains("Exception"), "no stack trace: " + log);
            int more = 0;
            while (events.readLine() != null) {
                more++;
            }
            assertTrue(more < 2000, "the stream ended when the server stopped");
        } finally {
            server.close();
        }
    }
}

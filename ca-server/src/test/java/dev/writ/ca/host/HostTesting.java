package dev.writ.ca.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.testing.Processes;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;

/** Small helpers shared by the host API tests: keys, JSON bodies, answers, ssh-keygen listings. */
final class HostTesting {

    static final ObjectMapper JSON = new ObjectMapper();

    private HostTesting() {
    }

    static KeyPair ed25519() throws Exception {
        return KeyUtils.generateKeyPair("ssh-ed25519", 256);
    }

    static String line(KeyPair key) {
        return PublicKeyEntry.toString(key.getPublic());
    }

    /** A JSON object of the given fields, in order; values are strings, lists or null (left out). */
    static String json(Object... fieldsAndValues) {
        Map<String, Object> body = new LinkedHashMap<>();
        for (int i = 0; i < fieldsAndValues.length; i += 2) {
            body.put((String) fieldsAndValues[i], fieldsAndValues[i + 1]);
        }
        try {
            return JSON.writeValueAsString(body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode answer(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    static String detail(HttpResponse<String> response) throws Exception {
        return answer(response).get("detail").asText();
    }

    static List<String> principals(HttpResponse<String> response) throws Exception {
        return JSON.convertValue(answer(response).get("principals"), JSON.getTypeFactory()
                .constructCollectionType(List.class, String.class));
    }

    /** What {@code ssh-keygen -L} prints for a certificate line. */
    static String keygenList(Path dir, String certificateLine) throws Exception {
        Path file = Files.writeString(Files.createTempFile(dir, "cert", "-cert.pub"), certificateLine + "\n");
        Processes.Result result = Processes.run(List.of("ssh-keygen", "-L", "-f", file.toString()));
        assertEquals(0, result.exitCode(), result.output());
        return result.output();
    }
}

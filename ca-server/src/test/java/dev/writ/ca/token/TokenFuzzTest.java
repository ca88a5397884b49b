package dev.writ.ca.token;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.URI;
import java.time.Clock;
import java.util.List;

/**
 * A bearer token from anyone: verified, or refused with TokenRejectedException, never anything
 * else. The issuer named here listens nowhere (discard port on loopback), so a token that gets as
 * far as fetching keys is refused too.
 */
class TokenFuzzTest {

    static final TokenVerifier VERIFIER = new TokenVerifier(
            List.of(new IssuerConfig(URI.create("http://127.0.0.1:9/issuer"), "writ")), Clock.systemUTC());

    @FuzzTest(maxDuration = "10s")
    @DictionaryEntries({"eyJ", "eyJhbGciOiJSUzI1NiJ9", "eyJhbGciOiJub25lIn0", ".", "\"iss\":", "\"aud\":", "\"exp\":",
            "\"kid\":", "\"alg\":", "http://127.0.0.1:9/issuer"})
    void verifiesOrRefusesEveryToken(String token) {
        try {
            VERIFIER.verify(token);
        } catch (TokenRejectedException refused) {
            // the one way to say no
        }
    }
}

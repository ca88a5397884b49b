package dev.writ.ca.recording;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.writ.ca.RequestRefused;
import dev.writ.ca.config.CaConfig;
import dev.writ.ca.testing.RecordingBastion;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The stand-in bastion authentication: a JWT signed by a key of the config, and nothing else. */
class ConfiguredBastionsTest {

    static final Instant NOW = Instant.parse("2026-11-21T08:00:00Z");
    static RecordingBastion bastion;
    static RecordingBastion stranger;
    static ConfiguredBastions bastions;

    @BeforeAll
    static void keys() throws Exception {
        bastion = RecordingBastion.generate("bastion-1");
        stranger = RecordingBastion.generate("bastion-1");
        bastions = new ConfiguredBastions(List.of(new CaConfig.Bastion("bastion-1", bastion.publicKeyLine())),
                Clock.fixed(NOW, ZoneOffset.UTC));
    }

    static JWTClaimsSet.Builder valid() {
        return new JWTClaimsSet.Builder().issuer("bastion-1").subject("bastion-1").audience("writ-ca")
                .issueTime(Date.from(NOW)).expirationTime(Date.from(NOW.plusSeconds(60))).jwtID("j1");
    }

    @Test
    void okNamesTheBastionAndItsKey() throws Exception {
        RecordingUploader uploader = bastions.authenticate(bastion.token(NOW));
        assertEquals("bastion-1", uploader.name());
        assertEquals(bastion.publicKeyLine(), uploader.publicKeyLine());
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("fail/unknown-bastion", (UnaryOperator<JWTClaimsSet.Builder>) b -> b.issuer("bastion-2").subject("bastion-2"), "unknown bastion"),
                Arguments.of("fail/sub-not-iss", (UnaryOperator<JWTClaimsSet.Builder>) b -> b.subject("other"), "sub must equal iss"),
                Arguments.of("fail/wrong-audience", (UnaryOperator<JWTClaimsSet.Builder>) b -> b.audience("writ"), "aud must contain writ-ca"),
                Arguments.of("fail/no-jti", (UnaryOperator<JWTClaimsSet.Builder>) b -> b.jwtID(null), "jti is required"),
                Arguments.of("fail/lives-too-long", (UnaryOperator<JWTClaimsSet.Builder>) b -> b.expirationTime(Date.from(NOW.plusSeconds(61))),
                        "iat and exp are required, exp at most 60 s after iat"),
                Arguments.of("fail/expired", (UnaryOperator<JWTClaimsSet.Builder>) b -> b.issueTime(Date.from(NOW.minusSeconds(100)))
                        .expirationTime(Date.from(NOW.minusSeconds(40))), "token expired"),
                Arguments.of("fail/from-the-future", (UnaryOperator<JWTClaimsSet.Builder>) b -> b.issueTime(Date.from(NOW.plusSeconds(40)))
                        .expirationTime(Date.from(NOW.plusSeconds(90))), "token not valid yet"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void refusesTokensThatDoNotProveAConfiguredBastion(String name, UnaryOperator<JWTClaimsSet.Builder> change,
                                                       String why) throws Exception {
        String token = bastion.jwt(change.apply(valid()).build());
        RequestRefused e = assertThrows(RequestRefused.class, () -> bastions.authenticate(token));
        assertEquals(401, e.status());
        assertEquals("bastion token rejected: " + why, e.detail());
    }

    @Test
    void refusesATokenSignedByAnotherKeyUnderTheSameName() throws Exception {
        RequestRefused e = assertThrows(RequestRefused.class, () -> bastions.authenticate(stranger.token(NOW)));
        assertEquals("bastion token rejected: bad signature", e.detail());
    }

    @Test
    void refusesGarbageAndUnsignedTokens() throws Exception {
        assertEquals("bastion token rejected: malformed token",
                assertThrows(RequestRefused.class, () -> bastions.authenticate("not.a.jwt")).detail());
        String unsigned = bastion.token(NOW);
        String none = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\"}".getBytes())
                + unsigned.substring(unsigned.indexOf('.'), unsigned.lastIndexOf('.') + 1);
        assertEquals(401, assertThrows(RequestRefused.class, () -> bastions.authenticate(none)).status());
    }
}

package dev.writ.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SupportTest {

    @Nested
    class Globs {

        @ParameterizedTest(name = "{0}")
        @CsvSource(delimiter = ';', textBlock = """
                ok/star-matches-nothing        ; *                 ; ''                    ; true
                ok/star-crosses-dots           ; *.dev.example.com ; a.b.dev.example.com   ; true
                fail/star-needs-the-suffix     ; *.dev.example.com ; dev.example.com       ; false
                ok/question-mark-one-char      ; web0?             ; web01                 ; true
                fail/question-mark-not-two     ; web0?             ; web012                ; false
                fail/question-mark-not-zero    ; web0?             ; web0                  ; false
                ok/several-stars               ; a*b*c             ; aXXbYYc               ; true
                ok/star-may-be-empty           ; a*b               ; ab                    ; true
                fail/missing-end               ; a*b               ; abc                   ; false
                ok/backtracks                  ; *ab               ; aab                   ; true
                fail/dot-is-literal            ; a.b               ; axb                   ; false
                fail/regex-alternation-literal ; (a|b)             ; a                     ; false
                ok/regex-chars-match-themselves; [a]+(b)$^\\       ; [a]+(b)$^\\           ; true
                """)
        void matchStarAndQuestionMarkOnly(String name, String pattern, String value, boolean matches) {
            assertEquals(matches, Glob.matches(pattern, value, false));
        }

        @Test
        void ignoreCaseOnlyWhenAsked() {
            assertEquals(true, Glob.matches("*@Example.com", "alice@EXAMPLE.COM", true));
            assertEquals(false, Glob.matches("*@Example.com", "alice@EXAMPLE.COM", false));
        }
    }

    @Nested
    class DurationsInPolicies {

        @ParameterizedTest(name = "{0}")
        @CsvSource(delimiter = '|', textBlock = """
                ok/seconds            | 90s      | PT1M30S | 1m30s
                ok/minutes            | 30m      | PT30M   | 30m
                ok/hours              | 8h       | PT8H    | 8h
                ok/days               | 7d       | PT168H  | 7d
                ok/compound           | 1h30m    | PT1H30M | 1h30m
                ok/every-unit         | 1d2h3m4s | PT26H3M4S | 1d2h3m4s
                fail/no-unit          | 90       |         |
                fail/empty            | ''       |         |
                fail/zero             | 0m       |         |
                fail/negative         | -1h      |         |
                fail/wrong-order      | 30m1h    |         |
                fail/upper-case       | 8H       |         |
                fail/spaces           | 1h 30m   |         |
                fail/weeks            | 1w       |         |
                """)
        void parseAndFormat(String name, String text, String iso, String formatted) {
            Optional<Duration> parsed = Durations.parse(text);
            assertEquals(Optional.ofNullable(iso).map(Duration::parse), parsed);
            parsed.ifPresent(d -> assertEquals(formatted, Durations.format(d)));
        }
    }

    @Nested
    class Identities {

        @Test
        void readSubjectEmailAndAListOfGroups() {
            Identity id = Identity.fromClaims("https://idp", Map.of("sub", "u1", "email", "a@example.com",
                    "groups", List.of("x", 7, "y")));
            assertEquals(new Identity("https://idp", "u1", "a@example.com", List.of("x", "y"), id.claims()), id);
            assertEquals("a@example.com", id.name());
        }

        @Test
        void readASingleGroupString() {
            assertEquals(List.of("x"), Identity.fromClaims("https://idp", Map.of("sub", "u1", "groups", "x")).groups());
        }

        @Test
        void useTheSubjectAsNameWithoutEmail() {
            Identity id = Identity.fromClaims("https://idp", Map.of("sub", "project_path:infra/web"));
            assertEquals(List.of(), id.groups());
            assertNull(id.email());
            assertEquals("project_path:infra/web", id.name());
        }

        @Test
        void ignoreAnEmailTheProviderHasNotVerified() {
            Identity id = Identity.fromClaims("https://idp", Map.of("sub", "u1", "email", "a@example.com",
                    "email_verified", false));
            assertNull(id.email());
            assertEquals("u1", id.name());
        }

        @Test
        void needASubject() {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Identity.fromClaims("https://idp", Map.of("email", "a@example.com")));
            assertEquals("identity needs a non-empty subject", e.getMessage());
        }

        @Test
        void copyClaimsDeeplyAndDropNulls() {
            List<Object> roles = new ArrayList<>(Arrays.asList("a", null));
            Map<String, Object> claims = new HashMap<>();
            claims.put("sub", "u1");
            claims.put("roles", roles);
            claims.put("nothing", null);
            Identity id = Identity.fromClaims("https://idp", claims);
            roles.add("b");
            assertEquals(Map.of("sub", "u1", "roles", List.of("a")), id.claims());
            assertThrows(UnsupportedOperationException.class, () -> id.claims().put("x", "y"));
        }
    }
}

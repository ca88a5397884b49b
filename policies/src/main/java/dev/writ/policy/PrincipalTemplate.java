package dev.writ.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A principal as written in a role: literal text and {@code {{email}}}, {@code {{email.local}}},
 * {@code {{subject}}} or {@code {{claims.NAME}}} placeholders. Checked when the policy loads;
 * expanded per identity, where a missing value or an expansion that is not a valid principal
 * drops the principal (and says why).
 */
final class PrincipalTemplate {

    /** What OpenSSH and writ accept as a login name in a certificate. */
    static final Pattern VALID_PRINCIPAL = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}");

    /** More expansions than this from one template (list claims multiply) are dropped. */
    static final int MAX_EXPANSIONS = 64;

    private static final Pattern LITERAL = Pattern.compile("[A-Za-z0-9._-]*");
    private static final Pattern CLAIM_NAME = Pattern.compile("[A-Za-z0-9_.:-]+");

    /** A piece of a template: literal text, or a placeholder (variable != null). */
    private record Part(String literal, String variable) {}

    /** The principals one template gives an identity, and the expansions it dropped with why. */
    record Expansion(List<String> principals, List<String> dropped) {
        Expansion {
            principals = List.copyOf(principals);
            dropped = List.copyOf(dropped);
        }
    }

    private final String text;
    private final List<Part> parts;

    private PrincipalTemplate(String text, List<Part> parts) {
        this.text = text;
        this.parts = parts;
    }

    /**
     * Parses a template; the IllegalArgumentException message suits a load error and names
     * {@code where} (e.g. "role 'engineer'").
     */
    static PrincipalTemplate parse(String text, String where) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty principal in " + where);
        }
        if (text.equals("*")) {
            throw new IllegalArgumentException("'*' is not allowed as a principal in " + where);
        }
        List<Part> parts = new ArrayList<>();
        int at = 0;
        while (at < text.length()) {
            int open = text.indexOf("{{", at);
            String literal = open < 0 ? text.substring(at) : text.substring(at, open);
            if (!LITERAL.matcher(literal).matches()) {
                throw new IllegalArgumentException("principal '" + text + "' in " + where + " is not valid: only letters, digits,"
                        + " '.', '_', '-' and {{...}} placeholders are allowed");
            }
            if (!literal.isEmpty()) {
                parts.add(new Part(literal, null));
            }
            if (open < 0) {
                break;
            }
            int close = text.indexOf("}}", open);
            if (close < 0) {
                throw new IllegalArgumentException("principal '" + text + "' in " + where + " has '{{' without '}}'");
            }
            String variable = text.substring(open + 2, close).strip();
            checkVariable(text, variable, where);
            parts.add(new Part(null, variable));
            at = close + 2;
        }
        boolean literalOnly = parts.stream().allMatch(p -> p.variable() == null);
        if (literalOnly && !VALID_PRINCIPAL.matcher(text).matches()) {
            throw new IllegalArgumentException("principal '" + text + "' in " + where + " is not valid: it must start with a letter,"
                    + " digit or '_' and be at most 64 characters");
        }
        return new PrincipalTemplate(text, List.copyOf(parts));
    }

    private static void checkVariable(String text, String variable, String where) {
        if (variable.equals("email") || variable.equals("email.local") || variable.equals("subject")) {
            return;
        }
        if (variable.startsWith("claims.") && CLAIM_NAME.matcher(variable.substring(7)).matches()) {
            return;
        }
        throw new IllegalArgumentException("principal '" + text + "' in " + where + " uses unknown placeholder '{{" + variable
                + "}}' (known: {{email}}, {{email.local}}, {{subject}}, {{claims.NAME}})");
    }

    String text() {
        return text;
    }

    Expansion expand(Identity id) {
        List<String> results = List.of("");
        for (Part part : parts) {
            List<String> values;
            if (part.variable() == null) {
                values = List.of(part.literal());
            } else {
                values = values(part.variable(), id);
                if (values.isEmpty()) {
                    return new Expansion(List.of(), List.of("'" + text + "': " + missing(part.variable())));
                }
            }
            if ((long) results.size() * values.size() > MAX_EXPANSIONS) {
                return new Expansion(List.of(), List.of("'" + text + "': expands to more than "
                        + MAX_EXPANSIONS + " principals"));
            }
            List<String> next = new ArrayList<>();
            for (String prefix : results) {
                for (String value : values) {
                    next.add(prefix + value);
                }
            }
            results = next;
        }
        List<String> principals = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        for (String candidate : results) {
            if (VALID_PRINCIPAL.matcher(candidate).matches()) {
                principals.add(candidate);
            } else {
                dropped.add("'" + text + "': '" + candidate + "' is not a valid principal");
            }
        }
        return new Expansion(principals, dropped);
    }

    private static List<String> values(String variable, Identity id) {
        switch (variable) {
            case "email":
                return id.email() == null ? List.of() : List.of(id.email());
            case "email.local": {
                String email = id.email();
                int at = email == null ? -1 : email.lastIndexOf('@');
                return at <= 0 ? List.of() : List.of(email.substring(0, at));
            }
            case "subject":
                return List.of(id.subject());
            default:
                return id.claimValues(variable.substring("claims.".length()));
        }
    }

    private static String missing(String variable) {
        if (variable.startsWith("claims.")) {
            return "claim '" + variable.substring(7) + "' is missing";
        }
        return variable.equals("subject") ? "no subject" : "the token has no (verified) email";
    }

    @Override
    public String toString() {
        return text;
    }
}

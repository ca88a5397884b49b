package dev.writ.policy;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A YAML document as a small tree that remembers the 1-based line of every key and value, so
 * that load errors can point at the offending node. Built by walking Jackson's streaming
 * {@link YAMLParser}, whose token locations are the YAML marks (Jackson's {@code JsonNode}
 * tree forgets them).
 */
final class Yaml {

    private static final YAMLFactory FACTORY = new YAMLFactory();

    private Yaml() {}

    sealed interface Node permits MapNode, ListNode, ScalarNode {
        int line();

        /** What the node is, for messages: "a mapping", "a list", "a string", ... */
        String describe();
    }

    /** One key of a mapping: the key's own line, and its value. */
    record Entry(String key, int line, Node value) {}

    record MapNode(int line, Map<String, Entry> entries) implements Node {
        MapNode {
            entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        }

        Optional<Entry> get(String key) {
            return Optional.ofNullable(entries.get(key));
        }

        @Override
        public String describe() {
            return "a mapping";
        }
    }

    record ListNode(int line, List<Node> items) implements Node {
        ListNode {
            items = List.copyOf(items);
        }

        @Override
        public String describe() {
            return "a list";
        }
    }

    /** A scalar as written (quotes removed); {@code isNull} for {@code ~}, {@code null} or nothing. */
    record ScalarNode(int line, String text, JsonToken token) implements Node {
        boolean isNull() {
            return token == JsonToken.VALUE_NULL;
        }

        @Override
        public String describe() {
            return switch (token) {
                case VALUE_NULL -> "nothing";
                case VALUE_TRUE, VALUE_FALSE -> "a boolean";
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
                default -> "a string";
            };
        }
    }

    /** Reads one YAML document; empty when the text holds no document at all (only comments). */
    static Optional<Node> read(String source, String text) throws PolicyException {
        try (JsonParser parser = FACTORY.createParser(text)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return Optional.empty();
            }
            Node root = readValue(source, (YAMLParser) parser);
            if (parser.nextToken() != null) {
                throw new PolicyException(source, line(parser), "only one YAML document per file is allowed");
            }
            return Optional.of(root);
        } catch (JsonProcessingException e) {
            throw new PolicyException(source, lineOf(e.getLocation()), "invalid YAML: " + problem(e), e);
        } catch (IOException | RuntimeException e) {
            // the YAML library may throw unchecked exceptions on pathological input
            throw new PolicyException(source, 0, "invalid YAML: " + e.getMessage(), e);
        }
    }

    private static Node readValue(String source, YAMLParser parser) throws IOException, PolicyException {
        int line = line(parser);
        JsonToken token = parser.currentToken();
        if (parser.isCurrentAlias()) {
            throw new PolicyException(source, line, "YAML aliases (*" + parser.getText()
                    + ") are not supported; quote patterns that start with '*', e.g. \"*@example.com\"");
        }
        switch (token) {
            case START_OBJECT: {
                Map<String, Entry> entries = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    int keyLine = line(parser);
                    if (entries.containsKey(key)) {
                        throw new PolicyException(source, keyLine, "duplicate key '" + key + "'");
                    }
                    parser.nextToken();
                    entries.put(key, new Entry(key, keyLine, readValue(source, parser)));
                }
                return new MapNode(line, entries);
            }
            case START_ARRAY: {
                List<Node> items = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    items.add(readValue(source, parser));
                }
                return new ListNode(line, items);
            }
            default:
                if (!token.isScalarValue()) {
                    throw new PolicyException(source, line, "unexpected YAML token " + token);
                }
                return new ScalarNode(line, parser.getText(), token);
        }
    }

    private static int line(JsonParser parser) {
        return lineOf(parser.currentTokenLocation());
    }

    private static int lineOf(JsonLocation location) {
        return location == null ? 0 : Math.max(location.getLineNr(), 0);
    }

    /**
     * The YAML library's message without its multi-line source excerpt: the unindented lines
     * ("while parsing a flow mapping", "expected ',' or '}', but got &lt;stream end&gt;").
     */
    private static String problem(JsonProcessingException e) {
        String original = String.valueOf(e.getOriginalMessage());
        String joined = original.lines()
                .filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
                .collect(Collectors.joining(": "));
        String hint = original.contains("alias")
                ? " (quote patterns that start with '*', e.g. \"*@example.com\")" : "";
        return (joined.isEmpty() ? original.strip() : joined) + hint;
    }
}

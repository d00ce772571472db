package io.geminik8s.hub.template;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads a template file: YAML syntax, then the shape (unknown or mistyped fields), then the rules
 * ({@link TemplateRules}) — every problem at once, each with file, line, column and field path.
 */
public final class TemplateLoader {

    /** A template, or why not. */
    public record Loaded(SiteTemplate template, List<TemplateProblem> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private static final YAMLFactory YAML = YAMLFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final ObjectMapper MAPPER = new ObjectMapper(YAML)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private TemplateLoader() {
    }

    public static Loaded load(String file, String text) {
        Map<String, int[]> where = new HashMap<>();
        try (JsonParser p = YAML.createParser(text)) {
            if (p.nextToken() == null) {
                return failed(file, 1, 1, "", "the file is empty");
            }
            index(p, "", where);
        } catch (JsonProcessingException e) {
            var l = e.getLocation();
            return failed(file, l == null ? 1 : l.getLineNr(), l == null ? 1 : l.getColumnNr(), "",
                    "not valid YAML: " + e.getOriginalMessage());
        } catch (IOException e) {
            return failed(file, 1, 1, "", e.getMessage());
        }
        SiteTemplate t;
        try {
            t = MAPPER.readValue(text, SiteTemplate.class);
        } catch (JsonMappingException e) {
            String path = path(e.getPath());
            var l = e.getLocation(); // after the offending token: the key's own position is in the index
            String message = e instanceof UnrecognizedPropertyException u
                    ? "unknown field '" + u.getPropertyName() + "' (known: " + u.getKnownPropertyIds().stream()
                            .map(String::valueOf).sorted().collect(Collectors.joining(", ")) + ")"
                    : "wrong type: " + e.getOriginalMessage().split("\n")[0];
            int[] at = path.isEmpty() && l != null ? new int[] {l.getLineNr(), l.getColumnNr()} : locate(where, path);
            return failed(file, at[0], at[1], path, message);
        } catch (IOException e) {
            return failed(file, 1, 1, "", e.getMessage());
        }
        List<TemplateProblem> problems = new ArrayList<>();
        for (TemplateRules.Finding f : TemplateRules.check(t)) {
            int[] at = locate(where, f.path());
            problems.add(new TemplateProblem(file, at[0], at[1], f.path(), f.message()));
        }
        return new Loaded(problems.isEmpty() ? t : null, problems);
    }

    /** A problem at {@code path} of {@code text} (for rules checked outside {@link #load}, e.g. version skew). */
    public static TemplateProblem problemAt(String file, String text, String path, String message) {
        Map<String, int[]> where = new HashMap<>();
        try (JsonParser p = YAML.createParser(text)) {
            if (p.nextToken() != null) {
                index(p, "", where);
            }
        } catch (IOException e) {
            // the text was loaded before: cannot happen; fall back to line 1
        }
        int[] at = locate(where, path);
        return new TemplateProblem(file, at[0], at[1], path, message);
    }

    /** Where a field is, or its closest ancestor that exists in the file. */
    static int[] locate(Map<String, int[]> where, String path) {
        String p = path;
        while (!p.isEmpty()) {
            int[] at = where.get(p);
            if (at != null) {
                return at;
            }
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            p = cut < 0 ? "" : p.substring(0, cut);
        }
        return new int[] {1, 1};
    }

    private static void index(JsonParser p, String path, Map<String, int[]> out) throws IOException {
        JsonToken t = p.currentToken();
        out.putIfAbsent(path, at(p));
        if (t == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String child = path.isEmpty() ? p.currentName() : path + "." + p.currentName();
                out.put(child, at(p));
                p.nextToken();
                index(p, child, out);
            }
        } else if (t == JsonToken.START_ARRAY) {
            int i = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                index(p, path + "[" + i++ + "]", out);
            }
        }
    }

    private static int[] at(JsonParser p) {
        var l = p.currentTokenLocation();
        return new int[] {l.getLineNr(), l.getColumnNr()};
    }

    private static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                b.append(b.isEmpty() ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }

    private static Loaded failed(String file, int line, int column, String path, String message) {
        return new Loaded(null, List.of(new TemplateProblem(file, line, column, path, message)));
    }
}

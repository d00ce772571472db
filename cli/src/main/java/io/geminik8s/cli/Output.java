package io.geminik8s.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Prints what the hub answered: a table (default), {@code -o json} or {@code -o yaml}, like kubectl. */
final class Output {

    enum Format { table, json, yaml }

    /** A table column: its header and the JSON pointer of its value in each row. */
    record Column(String header, String pointer) {
    }

    private Output() {
    }

    static void print(PrintWriter out, Format format, JsonNode value, List<Column> columns) {
        try {
            switch (format) {
                case json -> out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(value));
                case yaml -> out.print(new ObjectMapper(new YAMLFactory()
                        .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)).writeValueAsString(value));
                case table -> table(out, value.isArray() ? value : List.of(value), columns);
            }
        } catch (JsonProcessingException e) {
            throw new HubClient.Failure(e.getOriginalMessage());
        }
        out.flush();
    }

    private static void table(PrintWriter out, Iterable<JsonNode> rows, List<Column> columns) {
        List<String[]> lines = new ArrayList<>();
        lines.add(columns.stream().map(Column::header).toArray(String[]::new));
        for (JsonNode r : rows) {
            lines.add(columns.stream().map(c -> cell(r.at(c.pointer()))).toArray(String[]::new));
        }
        int[] width = new int[columns.size()];
        for (String[] l : lines) {
            for (int i = 0; i < l.length; i++) {
                width[i] = Math.max(width[i], l[i].length());
            }
        }
        for (String[] l : lines) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < l.length; i++) {
                b.append(i == l.length - 1 ? l[i] : String.format("%-" + (width[i] + 3) + "s", l[i]));
            }
            out.println(b.toString().stripTrailing());
        }
    }

    private static String cell(JsonNode n) {
        if (n.isMissingNode() || n.isNull()) {
            return "-";
        }
        if (n.isObject()) {
            List<String> kv = new ArrayList<>();
            n.fields().forEachRemaining(f -> kv.add(f.getKey() + "=" + f.getValue().asText()));
            return kv.isEmpty() ? "-" : String.join(",", kv);
        }
        return n.asText();
    }

    /** [#####.....] 40% */
    static String bar(int done, int total, int width) {
        int filled = total == 0 ? width : (int) Math.round((double) done * width / total);
        return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "] "
                + (total == 0 ? 100 : done * 100 / total) + "%";
    }
}

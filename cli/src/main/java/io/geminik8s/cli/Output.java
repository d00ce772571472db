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
        int[] width = widths(rows, columns);
        out.println(line(columns.stream().map(Column::header).toArray(String[]::new), width));
        for (JsonNode r : rows) {
            out.println(line(cells(r, columns), width));
        }
    }

    /** Each column's width over the header and the rows (a watch keeps the first table's widths). */
    static int[] widths(Iterable<JsonNode> rows, List<Column> columns) {
        int[] width = new int[columns.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = columns.get(i).header().length();
        }
        for (JsonNode r : rows) {
            String[] c = cells(r, columns);
            for (int i = 0; i < c.length; i++) {
                width[i] = Math.max(width[i], c[i].length());
            }
        }
        return width;
    }

    static String[] cells(JsonNode r, List<Column> columns) {
        return columns.stream().map(c -> cell(r.at(c.pointer()))).toArray(String[]::new);
    }

    static String line(String[] l, int[] width) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < l.length; i++) {
            b.append(i == l.length - 1 ? l[i] : String.format("%-" + (width[i] + 3) + "s", l[i]));
        }
        return b.toString().stripTrailing();
    }

    /** One changed item of a watch: a table line, a JSON line, or a YAML document. */
    static void change(PrintWriter out, Format format, JsonNode row, List<Column> columns, int[] width) {
        try {
            switch (format) {
                case json -> out.println(new ObjectMapper().writeValueAsString(row));
                case yaml -> out.print(new ObjectMapper(new YAMLFactory()).writeValueAsString(row));
                case table -> out.println(line(cells(row, columns), width));
            }
        } catch (JsonProcessingException e) {
            throw new HubClient.Failure(e.getOriginalMessage());
        }
        out.flush();
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

package dev.ssefs.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prints answers: JSON with Jackson when {@code --json} is given, otherwise aligned {@code Name: value}
 * lines or a table. Human output skips absent (null) fields.
 */
final class Output {
    /** Jackson's mapper, built on first use: building it loads ~400 classes (~0.2 s of a cold JVM) that most commands never need. */
    static ObjectMapper mapper() {
        return Mapper.JSON;
    }

    private static final class Mapper {
        static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    private final PrintStream out;
    private final boolean json;

    Output(PrintStream out, boolean json) {
        this.out = out;
        this.json = json;
    }

    boolean json() {
        return json;
    }

    PrintStream stream() {
        return out;
    }

    /** Writes {@code tree} (maps, lists, strings, numbers) as JSON. */
    void writeJson(Object tree) {
        try {
            out.println(mapper().writeValueAsString(tree));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    /** {@code Name: value} lines with the values aligned; null and empty values are skipped. */
    void fields(Map<String, ?> fields) {
        int width = 0;
        for (var e : fields.entrySet()) {
            if (present(e.getValue())) {
                width = Math.max(width, e.getKey().length());
            }
        }
        for (var e : fields.entrySet()) {
            if (present(e.getValue())) {
                out.println(pad(e.getKey() + ":", width + 2) + e.getValue());
            }
        }
    }

    /** A table with a header row; columns are padded to their widest cell, the last one is not. */
    void table(List<String> headers, List<List<String>> rows) {
        int n = headers.size();
        int[] widths = new int[n];
        List<List<String>> all = new ArrayList<>();
        all.add(headers);
        all.addAll(rows);
        for (List<String> row : all) {
            for (int i = 0; i < n; i++) {
                widths[i] = Math.max(widths[i], cell(row, i).length());
            }
        }
        for (List<String> row : all) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < n; i++) {
                String c = cell(row, i);
                sb.append(i == n - 1 ? c : pad(c, widths[i] + 2));
            }
            out.println(sb.toString().stripTrailing());
        }
    }

    private static boolean present(Object v) {
        return v != null && !(v instanceof String s && s.isEmpty());
    }

    void line(String text) {
        out.println(text);
    }

    private static String cell(List<String> row, int i) {
        String c = i < row.size() ? row.get(i) : null;
        return c == null ? "" : c;
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
}

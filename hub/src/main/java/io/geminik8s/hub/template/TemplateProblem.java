package io.geminik8s.hub.template;

/** One thing wrong with a template, where it is: {@code file:line:column: path: message}. */
public record TemplateProblem(String file, int line, int column, String path, String message) {

    @Override
    public String toString() {
        return file + ":" + line + ":" + column + ": " + (path.isEmpty() ? "" : path + ": ") + message;
    }
}

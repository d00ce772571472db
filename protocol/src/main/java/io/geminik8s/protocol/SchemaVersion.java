package io.geminik8s.protocol;

/**
 * Schema versions are "major.minor". A reader accepts every minor of its major (minors only add optional fields,
 * which older readers ignore) and refuses any other major.
 */
public record SchemaVersion(int major, int minor) {

    public static final SchemaVersion CURRENT = new SchemaVersion(1, 4);

    public static SchemaVersion parse(String text) {
        if (text == null || !text.matches("\\d{1,4}\\.\\d{1,4}")) {
            throw new IllegalArgumentException("schema version must look like 1.0, got " + text);
        }
        int dot = text.indexOf('.');
        return new SchemaVersion(Integer.parseInt(text.substring(0, dot)), Integer.parseInt(text.substring(dot + 1)));
    }

    public boolean readableBy(SchemaVersion reader) {
        return major == reader.major;
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}

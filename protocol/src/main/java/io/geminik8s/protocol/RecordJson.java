package io.geminik8s.protocol;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Java records ↔ JSON by their components, on {@link JsonTree}'s nodes: the protocol's messages and the records the
 * agent keeps in files. What databind did for the protocol, with the same strictness and without its classes:
 * components are read by name (unknown names are skipped: later minors add fields; absent or {@code null} is
 * {@code null}), nothing is coerced (a string is only a JSON string, a Long only a JSON integer in range, a Double
 * any JSON number, a Boolean only {@code true}/{@code false}), enums by their {@link JsonValue} method or else their
 * name. Writing leaves {@code null} components out. Types: String, Long, Integer, Double, Boolean, their primitives,
 * enums, records, {@code List}, {@code Map<String, …>} and {@link JsonNode}.
 */
final class RecordJson {

    /** A value that does not fit its component; {@code path} is like {@code certs[0].notAfter}. */
    static final class BindException extends Exception {
        final String path;

        BindException(String path, String message) {
            super(message, null, false, false);
            this.path = path;
        }
    }

    private record Shape(RecordComponent[] components, Constructor<?> constructor) {
    }

    private static final ClassValue<Shape> SHAPES = new ClassValue<>() {
        @Override
        protected Shape computeValue(Class<?> type) {
            RecordComponent[] cs = type.getRecordComponents();
            Class<?>[] params = new Class<?>[cs.length];
            for (int i = 0; i < cs.length; i++) {
                params[i] = cs[i].getType();
                cs[i].getAccessor().setAccessible(true);
            }
            try {
                Constructor<?> c = type.getDeclaredConstructor(params);
                c.setAccessible(true);
                return new Shape(cs, c);
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException(type + " has no canonical constructor", e);
            }
        }
    };

    private static final ClassValue<Method> WIRE_NAMES = new ClassValue<>() {
        @Override
        protected Method computeValue(Class<?> type) {
            for (Method m : type.getMethods()) {
                if (m.isAnnotationPresent(JsonValue.class) && m.getParameterCount() == 0) {
                    return m;
                }
            }
            return null;
        }
    };

    private RecordJson() {
    }

    static <T> T read(JsonNode node, Class<T> type) throws BindException {
        return type.cast(value(node, type, ""));
    }

    private static Object value(JsonNode n, Type type, String path) throws BindException {
        if (type instanceof ParameterizedType p) {
            Class<?> raw = (Class<?>) p.getRawType();
            Type item = p.getActualTypeArguments()[raw == Map.class ? 1 : 0];
            if (List.class.isAssignableFrom(raw) || raw == Collection.class) {
                expect(n.isArray(), n, "an array", path);
                List<Object> out = new ArrayList<>(n.size());
                int i = 0;
                for (JsonNode e : n) {
                    out.add(nullable(e, item, path + "[" + i++ + "]"));
                }
                return out;
            }
            if (raw == Map.class) {
                expect(n.isObject(), n, "an object", path);
                Map<String, Object> out = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> e : n.properties()) {
                    out.put(e.getKey(), nullable(e.getValue(), item, join(path, e.getKey())));
                }
                return out;
            }
            throw new IllegalArgumentException("unsupported component type " + type);
        }
        Class<?> c = (Class<?>) type;
        if (c == String.class) {
            expect(n.isTextual(), n, "a string", path);
            return n.textValue();
        }
        if (c == Long.class || c == long.class) {
            expect(n.isIntegralNumber() && n.canConvertToLong(), n, "an integer (64 bits)", path);
            return n.longValue();
        }
        if (c == Integer.class || c == int.class) {
            expect(n.isIntegralNumber() && n.canConvertToInt(), n, "an integer (32 bits)", path);
            return n.intValue();
        }
        if (c == Double.class || c == double.class) {
            expect(n.isNumber(), n, "a number", path);
            return n.doubleValue();
        }
        if (c == Boolean.class || c == boolean.class) {
            expect(n.isBoolean(), n, "true or false", path);
            return n.booleanValue();
        }
        if (c == JsonNode.class) {
            return n;
        }
        if (c.isEnum()) {
            expect(n.isTextual(), n, "a string", path);
            for (Object constant : c.getEnumConstants()) {
                if (wireName(constant).equals(n.textValue())) {
                    return constant;
                }
            }
            throw new BindException(path, "not one of the values of " + c.getSimpleName() + ": \""
                    + abbreviate(n.textValue()) + "\"");
        }
        if (c.isRecord()) {
            expect(n.isObject(), n, "an object", path);
            Shape shape = SHAPES.get(c);
            Object[] args = new Object[shape.components.length];
            for (int i = 0; i < args.length; i++) {
                RecordComponent rc = shape.components[i];
                JsonNode child = n.get(rc.getName());
                args[i] = child == null ? absent(rc.getType())
                        : nullable(child, rc.getGenericType(), join(path, rc.getName()));
            }
            try {
                return shape.constructor.newInstance(args);
            } catch (InvocationTargetException e) {
                throw new BindException(path.isEmpty() ? null : path, "cannot build " + c.getSimpleName() + ": "
                        + e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalArgumentException("unsupported component type " + type);
    }

    /** JSON null is null, but a {@link JsonNode} component gets a null node and a primitive its default. */
    private static Object nullable(JsonNode n, Type type, String path) throws BindException {
        if (!n.isNull()) {
            return value(n, type, path);
        }
        return type == JsonNode.class ? NullNode.getInstance() : type instanceof Class<?> c ? absent(c) : null;
    }

    private static Object absent(Class<?> type) {
        if (!type.isPrimitive()) {
            return null;
        }
        return type == boolean.class ? Boolean.FALSE : type == double.class ? (Object) 0.0
                : type == long.class ? (Object) 0L : (Object) 0;
    }

    private static void expect(boolean ok, JsonNode n, String what, String path) throws BindException {
        if (!ok) {
            throw new BindException(path.isEmpty() ? null : path, "expected " + what + ", got "
                    + n.getNodeType().name().toLowerCase(java.util.Locale.ROOT)
                    + (n.isNumber() || n.isTextual() || n.isBoolean() ? " " + abbreviate(n.asText()) : ""));
        }
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }

    private static String wireName(Object constant) {
        Method m = WIRE_NAMES.get(((Enum<?>) constant).getDeclaringClass());
        if (m == null) {
            return ((Enum<?>) constant).name();
        }
        try {
            return (String) m.invoke(constant);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code value}: records as objects without their null components. */
    static void write(JsonGenerator g, Object value) throws IOException {
        if (value == null) {
            g.writeNull();
        } else if (value instanceof String s) {
            g.writeString(s);
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short
                || value instanceof Byte) {
            g.writeNumber(((Number) value).longValue());
        } else if (value instanceof Number num) {
            g.writeNumber(num.doubleValue());
        } else if (value instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (value instanceof Enum<?> e) {
            g.writeString(wireName(e));
        } else if (value instanceof JsonNode n) {
            JsonTree.write(g, n);
        } else if (value instanceof Collection<?> items) {
            g.writeStartArray();
            for (Object item : items) {
                write(g, item);
            }
            g.writeEndArray();
        } else if (value instanceof Map<?, ?> map) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (value instanceof Record r) {
            g.writeStartObject();
            for (RecordComponent rc : SHAPES.get(r.getClass()).components) {
                Object v;
                try {
                    v = rc.getAccessor().invoke(r);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
                if (v != null) {
                    g.writeFieldName(rc.getName());
                    write(g, v);
                }
            }
            g.writeEndObject();
        } else {
            throw new IOException("cannot write a " + value.getClass().getName() + " as JSON");
        }
    }
}

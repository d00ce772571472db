package io.geminik8s.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The agent's RSS depends on the codec never making databind's ObjectMapper (~500 classes, ~9 MB resident): every
 * golden vector is decoded, encoded and decoded again by a Codec in a class loader of its own, which is then asked
 * whether it ever loaded ObjectMapper or a deserializer.
 */
class CodecWithoutDatabindTest {

    /** A class loader of the test's class path that says which classes it loaded itself. */
    static final class Isolated extends URLClassLoader {
        Isolated(URL[] urls) {
            super(urls, ClassLoader.getPlatformClassLoader());
        }

        boolean loaded(String name) {
            return findLoadedClass(name) != null;
        }
    }

    @Test
    void encodingAndDecodingEveryKindLoadsNoObjectMapper() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            urls.add(new File(entry).toURI().toURL());
        }
        try (Isolated loader = new Isolated(urls.toArray(URL[]::new))) {
            Class<?> codecType = loader.loadClass(Codec.class.getName());
            Class<?> messageType = loader.loadClass(Message.class.getName());
            Object codec = codecType.getConstructor().newInstance();
            Method decode = codecType.getMethod("decode", Class.class, byte[].class);
            Method encode = codecType.getMethod("encode", messageType);
            for (Kind kind : Kind.values()) {
                for (String version : List.of(Golden.V1_0, "1.1", "1.2", "1.3", "1.4", "1.9")) {
                    byte[] golden;
                    try {
                        golden = Golden.bytes(version, kind);
                    } catch (IllegalArgumentException none) {
                        continue;
                    }
                    Class<?> type = loader.loadClass(kind.type.getName());
                    Object decoded = decode.invoke(codec, type, golden);
                    Object value = decoded.getClass().getMethod("orThrow").invoke(decoded);
                    byte[] encoded = (byte[]) encode.invoke(codec, value);
                    Object again = decode.invoke(codec, type, encoded);
                    assertTrue((Boolean) again.getClass().getMethod("ok").invoke(again), kind + " " + version);
                    assertArrayEquals(encoded, (byte[]) encode.invoke(codec, again.getClass()
                            .getMethod("orThrow").invoke(again)), kind + " " + version + " re-encodes the same");
                }
            }
            assertTrue(loader.loaded("com.fasterxml.jackson.core.JsonFactory"), "the check sees loaded classes");
            assertFalse(loader.loaded("com.fasterxml.jackson.databind.ObjectMapper"), "ObjectMapper was loaded");
            assertFalse(loader.loaded("com.fasterxml.jackson.databind.deser.BeanDeserializerFactory"),
                    "databind's deserializers were loaded");
        }
    }
}

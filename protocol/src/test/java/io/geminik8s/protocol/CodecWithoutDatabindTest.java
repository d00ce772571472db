package io.geminik8s.protocol;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
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
            @SuppressWarnings("unchecked")
            BiFunction<String, byte[], String> probe = (BiFunction<String, byte[], String>) loader
                    .loadClass(CodecProbe.class.getName()).getConstructor().newInstance();
            int vectors = 0;
            for (Kind kind : Kind.values()) {
                for (String version : List.of(Golden.V1_0, "1.1", "1.2", "1.3", "1.4", "1.9")) {
                    byte[] golden;
                    try {
                        golden = Golden.bytes(version, kind);
                    } catch (IllegalArgumentException none) {
                        continue;
                    }
                    assertNull(probe.apply(kind.name(), golden), kind + " " + version);
                    vectors++;
                }
            }
            assertTrue(vectors >= Kind.values().length, vectors + " vectors");
            assertTrue(loader.loaded("com.fasterxml.jackson.core.JsonFactory"), "the check sees loaded classes");
            assertFalse(loader.loaded("com.fasterxml.jackson.databind.ObjectMapper"), "ObjectMapper was loaded");
            assertFalse(loader.loaded("com.fasterxml.jackson.databind.deser.BeanDeserializerFactory"),
                    "databind's deserializers were loaded");
        }
    }
}

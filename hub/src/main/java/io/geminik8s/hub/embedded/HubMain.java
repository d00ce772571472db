package io.geminik8s.hub.embedded;

import io.geminik8s.embedded.EmbeddedBroker;
import io.geminik8s.embedded.EmbeddedDatabase;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.nio.file.Path;

/**
 * Entry point of the hub. With {@code gk8s.embedded=true} (the default, for a zero-install start) it first starts
 * PostgreSQL and the MQTT broker in a data folder ({@code gk8s.data-dir}, default {@code .gk8s-data}) and points the
 * hub at them; with {@code false} the hub uses the configured external PostgreSQL and broker.
 */
@QuarkusMain
public final class HubMain {

    private HubMain() {
    }

    public static void main(String... args) {
        if (Boolean.parseBoolean(setting("gk8s.embedded", "GK8S_EMBEDDED", "true"))) {
            Path data = Path.of(setting("gk8s.data-dir", "GK8S_DATA_DIR", ".gk8s-data")).toAbsolutePath();
            int mqttPort = Integer.parseInt(setting("gk8s.embedded.mqtt-port", "GK8S_EMBEDDED_MQTT_PORT", "1883"));
            EmbeddedDatabase db = EmbeddedDatabase.start(data.resolve("postgres"), true);
            String bind = setting("gk8s.embedded.bind", "GK8S_EMBEDDED_BIND", "127.0.0.1");
            EmbeddedBroker broker = new EmbeddedBroker(data.resolve("broker"), bind, mqttPort, true, null).start();
            EmbeddedServices.use(db, broker);
            System.setProperty("quarkus.datasource.reactive.url", db.reactiveUrl());
            System.setProperty("quarkus.datasource.jdbc.url", db.jdbcUrl());
            System.setProperty("quarkus.datasource.username", db.user());
            System.setProperty("gk8s.mqtt.host", bind);
            System.setProperty("gk8s.mqtt.port", Integer.toString(broker.port()));
            System.out.printf("gk8s: embedded PostgreSQL on 127.0.0.1:%d and MQTT broker on %s:%d, data in %s%n",
                    db.port(), bind, broker.port(), data);
            LocalToken.install(data);
        }
        Quarkus.run(args);
    }

    private static String setting(String property, String env, String dflt) {
        String v = System.getProperty(property);
        if (v == null) {
            v = System.getenv(env);
        }
        return v == null || v.isBlank() ? dflt : v;
    }
}

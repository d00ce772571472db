package io.geminik8s.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the hub is and who is asking, first found wins: flags, then the environment ({@code GK8S_HUB},
 * {@code GK8S_TOKEN}), then the config file ({@code --config}, {@code GK8S_CONFIG} or
 * {@code ~/.config/gk8s/config.yaml}) with {@code hub:} and {@code token:} or {@code tokenFile:}.
 */
record CliConfig(String hub, String token) {

    static final String DEFAULT_HUB = "http://127.0.0.1:8080";

    static CliConfig resolve(String hubFlag, Path tokenFileFlag, Path configFlag, Map<String, String> env) {
        Path file = configFlag != null ? configFlag : env.get("GK8S_CONFIG") != null ? Path.of(env.get("GK8S_CONFIG"))
                : Path.of(System.getProperty("user.home"), ".config", "gk8s", "config.yaml");
        JsonNode cfg = new ObjectMapper().createObjectNode();
        if (Files.exists(file)) {
            try {
                cfg = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
            } catch (IOException e) {
                throw new HubClient.Failure("config file " + file + " is not valid YAML: " + e.getMessage());
            }
        } else if (configFlag != null) {
            throw new HubClient.Failure("config file " + file + " does not exist");
        }
        String hub = first(hubFlag, env.get("GK8S_HUB"), text(cfg, "hub"), DEFAULT_HUB);
        String token = tokenFileFlag != null ? read(tokenFileFlag) : env.get("GK8S_TOKEN") != null
                ? env.get("GK8S_TOKEN") : text(cfg, "token") != null ? text(cfg, "token")
                : text(cfg, "tokenFile") != null ? read(Path.of(text(cfg, "tokenFile"))) : null;
        return new CliConfig(hub, token);
    }

    private static String text(JsonNode n, String field) {
        return n == null || !n.hasNonNull(field) ? null : n.get(field).asText();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException e) {
            throw new HubClient.Failure("cannot read the token file " + p + ": " + e.getMessage());
        }
    }

    private static String first(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }
}

package io.geminik8s.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where the hub is and who is asking, first found wins: flags, then the environment ({@code GK8S_HUB},
 * {@code GK8S_TOKEN}), then the config file ({@code --config}, {@code GK8S_CONFIG} or
 * {@code ~/.config/gk8s/config.yaml}): its context ({@code --context}, {@code GK8S_CONTEXT} or its
 * {@code current-context}) from {@code contexts:}, each with {@code hub:} and {@code token:} or {@code tokenFile:},
 * or, without contexts, those keys at the top.
 */
record CliConfig(String hub, String token, String context) {

    static final String DEFAULT_HUB = "http://127.0.0.1:8080";
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static CliConfig resolve(String hubFlag, Path tokenFileFlag, Path configFlag, String contextFlag,
                             Map<String, String> env) {
        Path file = file(configFlag, env);
        JsonNode cfg = read(file, configFlag != null);
        String name = first(contextFlag, env.get("GK8S_CONTEXT"), text(cfg, "current-context"));
        JsonNode ctx = cfg;
        if (name != null) {
            ctx = cfg.path("contexts").path(name);
            if (!ctx.isObject()) {
                throw new HubClient.Failure("no context '" + name + "' in " + file + "; contexts: " + names(cfg));
            }
        }
        String hub = first(hubFlag, env.get("GK8S_HUB"), text(ctx, "hub"), DEFAULT_HUB);
        String token = tokenFileFlag != null ? read(tokenFileFlag) : env.get("GK8S_TOKEN") != null
                ? env.get("GK8S_TOKEN") : text(ctx, "token") != null ? text(ctx, "token")
                : text(ctx, "tokenFile") != null ? read(Path.of(text(ctx, "tokenFile"))) : null;
        return new CliConfig(hub, token, name);
    }

    static Path file(Path configFlag, Map<String, String> env) {
        return configFlag != null ? configFlag : env.get("GK8S_CONFIG") != null ? Path.of(env.get("GK8S_CONFIG"))
                : Path.of(System.getProperty("user.home"), ".config", "gk8s", "config.yaml");
    }

    static JsonNode read(Path file, boolean mustExist) {
        if (!Files.exists(file)) {
            if (mustExist) {
                throw new HubClient.Failure("config file " + file + " does not exist");
            }
            return YAML.createObjectNode();
        }
        try {
            JsonNode n = YAML.readTree(file.toFile());
            return n == null || n.isMissingNode() ? YAML.createObjectNode() : n;
        } catch (IOException e) {
            throw new HubClient.Failure("config file " + file + " is not valid YAML: " + e.getMessage());
        }
    }

    /** Writes the file (0600 where the file system has modes: it may hold a token), creating its folder. */
    static void write(Path file, JsonNode cfg) {
        try {
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, YAML.writeValueAsString(cfg));
            try {
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // no POSIX modes here
            }
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new HubClient.Failure("cannot write " + file + ": " + e.getMessage());
        }
    }

    static List<String> names(JsonNode cfg) {
        List<String> out = new ArrayList<>();
        cfg.path("contexts").fieldNames().forEachRemaining(out::add);
        return out;
    }

    static ObjectNode object(JsonNode n) {
        return n instanceof ObjectNode o ? o : YAML.createObjectNode();
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

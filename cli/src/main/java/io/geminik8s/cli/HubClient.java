package io.geminik8s.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

/** The hub's REST API with the bearer token; a problem answer becomes a {@link Failure} with its detail. */
final class HubClient {

    /** What the user sees when a call fails: the status and the hub's own words. */
    static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message);
        }
    }

    private final URI hub;
    private final String token;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    HubClient(String hub, String token) {
        this.hub = URI.create(hub.endsWith("/") ? hub : hub + "/");
        this.token = token;
    }

    ObjectMapper json() {
        return json;
    }

    JsonNode get(String path, Map<String, String> query) {
        return send(HttpRequest.newBuilder(uri(path, query)).GET());
    }

    JsonNode delete(String path, Map<String, String> query) {
        return send(HttpRequest.newBuilder(uri(path, query)).DELETE());
    }

    JsonNode post(String path, Map<String, String> query, Object body) {
        try {
            var publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body));
            return send(HttpRequest.newBuilder(uri(path, query)).header("Content-Type", "application/json")
                    .POST(publisher));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new Failure("cannot encode the request: " + e.getOriginalMessage());
        }
    }

    /** POSTs {@code body} as {@code contentType} (e.g. a template's YAML) and reads the JSON answer. */
    JsonNode postText(String path, String contentType, byte[] body) {
        return send(HttpRequest.newBuilder(uri(path, Map.of())).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    /** A text answer (e.g. PEM) asked for as {@code accept}; a problem answer fails as {@link #get} does. */
    String getText(String path, String accept) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path, Map.of())).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.timeout(Duration.ofSeconds(30)).header("Accept", accept + ", application/problem+json");
        HttpResponse<byte[]> r = exchange(b);
        if (r.statusCode() >= 400) {
            throw failure(r, parse(r.body()));
        }
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    private URI uri(String path, Map<String, String> query) {
        String q = query == null || query.isEmpty() ? "" : "?" + query.entrySet().stream()
                .filter(e -> e.getValue() != null)
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return URI.create(hub + (path.startsWith("/") ? path.substring(1) : path) + q);
    }

    private JsonNode send(HttpRequest.Builder b) {
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.timeout(Duration.ofSeconds(30)).header("Accept", "application/json");
        HttpResponse<byte[]> r = exchange(b);
        JsonNode body = parse(r.body());
        if (r.statusCode() >= 400) {
            throw failure(r, body);
        }
        if (body == null) {
            throw new Failure("the hub's answer is not JSON: " + new String(r.body(), StandardCharsets.UTF_8));
        }
        return body;
    }

    /** JSON, or null when the body is not JSON. */
    private JsonNode parse(byte[] body) {
        try {
            return body.length == 0 ? json.nullNode() : json.readTree(body);
        } catch (IOException notJson) {
            return null;
        }
    }

    private Failure failure(HttpResponse<byte[]> r, JsonNode body) {
        String raw = new String(r.body(), StandardCharsets.UTF_8);
        String detail = body == null ? raw : body.path("detail").asText(body.path("title").asText(raw));
        if (body != null && body.path("problems").isArray() && !body.path("problems").isEmpty()) {
            StringBuilder all = new StringBuilder(detail);
            body.path("problems").forEach(p -> all.append("\n  ").append(p.asText()));
            detail = all.toString();
        }
        return new Failure("hub answered " + r.statusCode() + ": " + detail + (r.statusCode() == 401
                ? (token == null ? "; no token was given" : "; the token was refused") + ": pass one with"
                + " --token-file FILE, env GK8S_TOKEN, or token:/tokenFile: in ~/.config/gk8s/config.yaml"
                + " (./demo writes its operator token to .gk8s-data/api-token)" : ""));
    }

    private HttpResponse<byte[]> exchange(HttpRequest.Builder b) {
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new Failure("cannot reach the hub at " + hub + " (" + cause(e) + "); is it running? Point --hub"
                    + " or env GK8S_HUB at it");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("interrupted");
        }
    }

    private static String cause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return "connection refused";
            }
            if (t instanceof java.net.http.HttpTimeoutException) {
                return "no answer within 30 s";
            }
            if (t.getMessage() != null) {
                return t.getMessage();
            }
        }
        return e.getClass().getSimpleName();
    }
}

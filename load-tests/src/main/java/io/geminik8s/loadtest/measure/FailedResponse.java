package io.geminik8s.loadtest.measure;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/** A request that got no answer at all (connection refused, timeout): status 0 and the error as the body. */
record FailedResponse(IOException error) implements HttpResponse<String> {

    public int statusCode() {
        return 0;
    }

    public HttpRequest request() {
        return null;
    }

    public Optional<HttpResponse<String>> previousResponse() {
        return Optional.empty();
    }

    public HttpHeaders headers() {
        return HttpHeaders.of(Map.of(), (a, b) -> true);
    }

    public String body() {
        return String.valueOf(error);
    }

    public Optional<SSLSession> sslSession() {
        return Optional.empty();
    }

    public URI uri() {
        return null;
    }

    public HttpClient.Version version() {
        return HttpClient.Version.HTTP_1_1;
    }
}

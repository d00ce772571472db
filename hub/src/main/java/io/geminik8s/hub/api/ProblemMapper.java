package io.geminik8s.hub.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Maps errors to {@code application/problem+json} (RFC 9457): type, title, status, detail, instance. */
public class ProblemMapper {

    public static final String PROBLEM_JSON = "application/problem+json";

    @ServerExceptionMapper
    public Response problem(ApiProblem p, UriInfo uri) {
        return response(p.status(), p.title(), p.getMessage(), uri);
    }

    /** A body that is not JSON, or not the JSON asked for: where, and which field, never a 500. */
    @ServerExceptionMapper
    public Response badJson(JsonProcessingException e, UriInfo uri) {
        if (e.getProcessor() instanceof com.fasterxml.jackson.core.JsonGenerator) { // writing an answer failed: ours
            return response(500, "Internal Server Error", "the answer could not be written", uri);
        }
        return response(400, "Bad Request", JsonProblem.detail(e), uri);
    }

    /** Replaces Quarkus' own mapping of a wrong type (its object/attribute names, not problem details). */
    @ServerExceptionMapper
    public Response wrongType(MismatchedInputException e, UriInfo uri) {
        return badJson(e, uri);
    }

    @ServerExceptionMapper
    public Response webError(WebApplicationException e, UriInfo uri) {
        if (e.getCause() instanceof JsonProcessingException j) {
            return badJson(j, uri);
        }
        int status = e.getResponse().getStatus();
        return response(status, Response.Status.fromStatusCode(status) == null ? "Error"
                : Response.Status.fromStatusCode(status).getReasonPhrase(), e.getMessage(), uri);
    }

    public static Response response(int status, String title, String detail, UriInfo uri) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("title", title);
        body.put("status", status);
        body.put("detail", detail);
        body.put("instance", uri.getPath());
        return Response.status(status).type(PROBLEM_JSON).entity(body).build();
    }
}

package io.geminik8s.hub.api;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.util.stream.Collectors;

/** The detail of a problem with a JSON body: the field (when one is to blame) and the line and column. */
final class JsonProblem {

    private static final int MAX = 120;

    private JsonProblem() {
    }

    static String detail(JsonProcessingException e) {
        String where = where(e.getLocation());
        if (e instanceof JsonMappingException m) { // its message names Java types: never shown
            if (m.getPath().isEmpty()) {
                return "the body has the wrong shape (a JSON object was expected)" + where;
            }
            String field = m.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining(".")).replace(".[", "[");
            if (field.length() > MAX) {
                field = field.substring(0, MAX) + "…";
            }
            String what = e instanceof MismatchedInputException ? "has the wrong type" : "is not acceptable";
            return "field '" + field + "' " + what + where;
        }
        String why = e.getOriginalMessage() == null ? "" : e.getOriginalMessage().lines().findFirst().orElse("");
        if (why.length() > MAX) {
            why = why.substring(0, MAX) + "…";
        }
        return "the body is not valid JSON" + where + (why.isEmpty() ? "" : ": " + why);
    }

    private static String where(JsonLocation l) {
        return l == null || l.getLineNr() < 0 ? "" : " (line " + l.getLineNr() + ", column " + l.getColumnNr() + ")";
    }
}

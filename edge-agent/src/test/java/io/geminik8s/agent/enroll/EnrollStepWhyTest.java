package io.geminik8s.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

/** The enrollment loop's log line says why, even for exceptions without a message (a refused connection's). */
class EnrollStepWhyTest {

    @Test
    void aFailureWithoutAMessageIsNamedByItsTypeOrItsCause() {
        assertEquals("ConnectException", EnrollStep.why(new ConnectException()));
        assertEquals("ConnectException: Connection refused", EnrollStep.why(wrapped()));
        assertEquals("IOException: HTTP 503", EnrollStep.why(new IOException("HTTP 503")));
    }

    private static Throwable wrapped() {
        IOException outer = new IOException((String) null, new ConnectException("Connection refused"));
        return outer;
    }
}

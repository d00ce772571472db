package io.geminik8s.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code gk8s backup …}: each verb's call to the hub (method, path, body) and what it prints, per -o. */
class BackupCommandTest {

    /** Every field any backup verb prints, so that each verb's columns pick their own. */
    private static final String ITEM = "{\"id\":\"r1\",\"site\":\"s1\",\"node\":\"a\",\"type\":\"full\","
            + "\"from\":\"primary\",\"commandId\":\"c1\",\"expiresAt\":\"E\",\"to\":\"T\",\"state\":\"waiting\","
            + "\"primary\":\"a\",\"standby\":\"b\",\"epoch\":2,\"requestedBy\":\"op\",\"requestedAt\":\"R\","
            + "\"message\":\"m\"}";
    private static final String STATUS = "{\"site\":\"s1\",\"configured\":true,\"stale\":false,"
            + "\"lastGood\":{\"at\":\"G\",\"attrs\":{\"label\":\"L\",\"backupBytes\":7}},\"recent\":[{\"at\":\"A\","
            + "\"node\":\"a\",\"type\":\"backup.completed\",\"attrs\":{\"type\":\"full\",\"label\":\"L\"}}]}";

    private final List<String> requests = new CopyOnWriteArrayList<>();
    private HttpServer hub;

    private record Result(int code, String out, String err) {
    }

    @BeforeEach
    void startHub() throws Exception {
        hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hub.createContext("/", x -> {
            String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = x.getRequestURI().getPath();
            requests.add(x.getRequestMethod() + " " + path + (body.isEmpty() ? "" : " " + body));
            int status = path.endsWith("/s-refused/rebuilds") ? 409 : 200;
            String answer = status == 409 ? "{\"title\":\"Conflict\",\"detail\":\"a node of the site is online\"}"
                    : path.endsWith("/backups") && x.getRequestMethod().equals("GET") ? STATUS
                    : x.getRequestMethod().equals("GET") ? "[" + ITEM + "," + ITEM.replace("r1", "r2") + "]" : ITEM;
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().set("Content-Type", "application/json");
            x.sendResponseHeaders(status, bytes.length);
            x.getResponseBody().write(bytes);
            x.close();
        });
        hub.start();
    }

    @AfterEach
    void stopHub() {
        hub.stop(0);
    }

    private Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Map<String, String> env = Map.of("GK8S_CONFIG", "target/no-gk8s-config.yaml", "GK8S_TOKEN", "t",
                "GK8S_HUB", "http://127.0.0.1:" + hub.getAddress().getPort() + "/");
        int code = Gk8s.run(env, new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    private void assertCall(String request, String printed, String... args) {
        requests.clear();
        Result r = run(args);
        assertEquals(new Result(0, printed, ""), r, String.join(" ", args));
        assertEquals(List.of(request), requests, String.join(" ", args));
    }

    @Test
    void eachPostingVerbSendsItsBodyAndPrintsItsColumns() {
        assertCall("POST /api/v1/sites/s1/backups {}", """
                SITE   NODE   TYPE   COMMAND   EXPIRES
                s1     a      full   c1        E
                """, "backup", "run", "--site", "s1");
        assertCall("POST /api/v1/sites/s1/backups {\"type\":\"diff\"}", """
                SITE   NODE   TYPE   COMMAND   EXPIRES
                s1     a      full   c1        E
                """, "backup", "run", "--site", "s1", "--type", "diff");
        assertCall("POST /api/v1/sites/s1/restores {\"to\":\"T\"}", """
                RESTORE   TO   PRIMARY   STANDBY   STATE     BY   AT   MESSAGE
                r1        T    a         b         waiting   op   R    m
                """, "backup", "restore", "--site", "s1", "--to", "T");
        assertCall("POST /api/v1/sites/s1/restore-tests {}", """
                SITE   NODE   COMMAND   EXPIRES
                s1     a      c1        E
                """, "backup", "test", "--site", "s1");
        assertCall("POST /api/v1/sites/s1/standby-rebuilds {\"from\":\"repository\"}", """
                SITE   NODE   FROM      COMMAND   EXPIRES
                s1     a      primary   c1        E
                """, "backup", "rebuild-standby", "--site", "s1", "--from", "repository");
        assertCall("POST /api/v1/sites/s1/rebuilds {}", """
                REBUILD   TO   STATE     NODE   EPOCH   BY   AT   EXPIRES   MESSAGE
                r1        T    waiting   a      2       op   R    E         m
                """, "backup", "rebuild", "--site", "s1");
    }

    @Test
    void eachListingVerbPrintsItsRows() {
        assertCall("GET /api/v1/sites/s1/restores", """
                RESTORE   TO   PRIMARY   STANDBY   STATE     BY   AT   MESSAGE
                r1        T    a         b         waiting   op   R    m
                r2        T    a         b         waiting   op   R    m
                """, "backup", "restores", "--site", "s1");
        assertCall("GET /api/v1/sites/s1/rebuilds", """
                REBUILD   TO   STATE     NODE   EPOCH   BY   AT   EXPIRES   MESSAGE
                r1        T    waiting   a      2       op   R    E         m
                r2        T    waiting   a      2       op   R    E         m
                """, "backup", "rebuilds", "--site", "s1");
        assertCall("GET /api/v1/sites/s1/backups", """
                SITE   CONFIGURED   STALE   LAST GOOD   LABEL   BYTES   LAST FAILURE   ARCHIVE LAG S   ARCHIVE FAILURES\
                   RESTORE TEST   TESTED AT   TEST SCHEDULE   TEST OLD
                s1     true         false   G           L       7       -              -               -               \
                   -              -           -               -

                AT   NODE   EVENT              TYPE   LABEL   MESSAGE
                A    a      backup.completed   full   L       -
                """, "backup", "list", "--site", "s1");
    }

    @Test
    void jsonAndYamlPrintTheAnswerAsItCame() {
        assertCall("POST /api/v1/sites/s1/restore-tests {}", """
                {
                  "id" : "r1",
                  "site" : "s1",
                  "node" : "a",
                  "type" : "full",
                  "from" : "primary",
                  "commandId" : "c1",
                  "expiresAt" : "E",
                  "to" : "T",
                  "state" : "waiting",
                  "primary" : "a",
                  "standby" : "b",
                  "epoch" : 2,
                  "requestedBy" : "op",
                  "requestedAt" : "R",
                  "message" : "m"
                }
                """, "backup", "test", "--site", "s1", "-o", "json");
        assertCall("GET /api/v1/sites/s1/backups", """
                site: "s1"
                configured: true
                stale: false
                lastGood:
                  at: "G"
                  attrs:
                    label: "L"
                    backupBytes: 7
                recent:
                - at: "A"
                  node: "a"
                  type: "backup.completed"
                  attrs:
                    type: "full"
                    label: "L"
                """, "backup", "list", "--site", "s1", "-o", "yaml");
    }

    @Test
    void aRefusalIsTheHubsWordsWithExitCodeOne() {
        Result r = run("backup", "rebuild", "--site", "s-refused");
        assertEquals(new Result(1, "", "error: hub answered 409: a node of the site is online\n"), r);
        assertEquals(2, run("backup", "rebuilds").code(), "--site is required");
    }
}

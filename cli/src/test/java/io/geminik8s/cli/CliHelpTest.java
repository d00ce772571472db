package io.geminik8s.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --help} answers on every command and subcommand; an unreachable hub is named with its cause. */
class CliHelpTest {

    private record Result(int code, String out, String err) {
    }

    private static Result run(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Map<String, String> isolated = new java.util.HashMap<>(env); // never the user's ~/.config/gk8s/config.yaml
        isolated.putIfAbsent("GK8S_CONFIG", "target/no-gk8s-config.yaml");
        int code = Gk8s.run(isolated, new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    private static void collect(CommandLine c, List<String> path, List<List<String>> all) {
        all.add(path);
        c.getSubcommands().forEach((name, sub) -> {
            if (sub.getCommandName().equals(name)) { // aliases lead to the same command
                List<String> p = new ArrayList<>(path);
                p.add(name);
                collect(sub, p, all);
            }
        });
    }

    @Test
    void everyCommandAnswersHelp() {
        List<List<String>> commands = new ArrayList<>();
        collect(new CommandLine(new Gk8s()), List.of(), commands);
        assertTrue(commands.size() >= 9, "commands found: " + commands);
        for (List<String> path : commands) {
            for (String flag : List.of("--help", "-h")) {
                List<String> args = new ArrayList<>(path);
                args.add(flag);
                Result r = run(Map.of(), args.toArray(String[]::new));
                assertEquals(0, r.code(), args + " exit code; err: " + r.err());
                assertTrue(r.out().startsWith("Usage: gk8s"), args + " printed: " + r.out());
                assertEquals("", r.err(), args + " wrote errors");
            }
        }
    }

    @Test
    void anUnreachableHubIsNamedWithItsCause() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        Result r = run(Map.of("GK8S_TOKEN", "t"), "--hub", "http://127.0.0.1:" + port + "/", "get", "sites");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("cannot reach the hub at http://127.0.0.1:" + port + "/ (connection refused)"),
                r.err());
        assertTrue(r.err().contains("--hub"), r.err());
    }
}

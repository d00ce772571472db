package io.geminik8s.hub.rollout;

import io.geminik8s.agent.Agent;
import io.geminik8s.agent.config.ConfigLoader;
import io.geminik8s.agent.enroll.EnrollStep;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.enrollment.TrustInfrastructure;
import io.geminik8s.hub.pki.Pem;
import io.restassured.RestAssured;
import io.vertx.mutiny.sqlclient.Pool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Real agents enrolled over mTLS as site pairs, each probing the hub's embedded PostgreSQL as its "local" one: the
 * primary plainly, the standby through a schema that answers {@code pg_is_in_recovery()} true (and a streaming WAL
 * receiver) ahead of {@code pg_catalog}, so each agent's own probe reports the role and the hub learns it from
 * health as in production.
 */
final class RotationPairs implements AutoCloseable {

    private static final String STANDBY_SCHEMA = """
            CREATE SCHEMA IF NOT EXISTS standby_sim;
            CREATE OR REPLACE FUNCTION standby_sim.pg_is_in_recovery() RETURNS boolean LANGUAGE sql AS 'SELECT true';
            CREATE OR REPLACE FUNCTION standby_sim.pg_last_wal_receive_lsn() RETURNS pg_lsn LANGUAGE sql
              AS 'SELECT ''0/100''::pg_lsn';
            CREATE OR REPLACE FUNCTION standby_sim.pg_last_wal_replay_lsn() RETURNS pg_lsn LANGUAGE sql
              AS 'SELECT ''0/100''::pg_lsn';
            CREATE OR REPLACE VIEW standby_sim.pg_stat_wal_receiver AS SELECT 'streaming'::text AS status""";

    final List<Agent> agents = new ArrayList<>();
    /** Each node's K3s: the stand-in (ha-harness/k3s-standin.sh), which re-issues its certificates on a rotation. */
    final Map<String, Path> k3sDirs = new HashMap<>();
    private final List<io.geminik8s.agent.k3s.ProcessK3s> k3s = new ArrayList<>();
    final Map<String, Path> pems = new HashMap<>();
    final Map<String, Map<String, String>> envs = new HashMap<>();
    private final Path dir;
    private final String jdbcUrl;
    private final String user;
    private final String password;

    RotationPairs(Path dir, Pool pool, String jdbcUrl, String user, String password) {
        this.dir = dir;
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        for (String sql : STANDBY_SCHEMA.split(";\n")) {
            pool.query(sql).execute().await().atMost(Duration.ofSeconds(10));
        }
    }

    static String claim(String site) {
        return RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .post("/api/v1/sites/" + site + "/claims").then().statusCode(201).extract().path("token");
    }

    Map<String, String> env(String site, String node, String token, String label, boolean standby) {
        String pg = jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + (standby
                ? "currentSchema=standby_sim,pg_catalog" : "currentSchema=public");
        Map<String, String> env = new HashMap<>(Map.of("GK8S_AGENT_SITE", site, "GK8S_AGENT_NODE", node,
                "GK8S_AGENT_BROKER_URL", "ssl://localhost:" + TrustInfrastructure.tlsPort,
                "GK8S_AGENT_STATE_DIR", dir.resolve(site).resolve(node).toString(),
                "GK8S_AGENT_HEALTH_INTERVAL_S", "1",
                "GK8S_AGENT_ENROLL_URL", "http://localhost:" + RestAssured.port,
                "GK8S_AGENT_ENROLL_ALLOW_PLAINTEXT", "true", "GK8S_AGENT_ENROLL_TOKEN", token,
                "GK8S_AGENT_LABELS", "rotation=" + label, "GK8S_AGENT_POSTGRES_URL", pg));
        env.put("GK8S_AGENT_POSTGRES_USER", user);
        env.put("GK8S_AGENT_POSTGRES_PASSWORD", password);
        return env;
    }

    /** Enrolls and starts one node; {@code renewUrl}: where its renewer goes (null: the hub). */
    void start(String site, String node, String token, String label, boolean standby, String renewUrl)
            throws Exception {
        Map<String, String> env = env(site, node, token, label, standby);
        Agent agent = new Agent(ConfigLoader.load(null, EnrollStep.run(null, env)), Clock.systemUTC());
        Map<String, String> renewEnv = new HashMap<>(env);
        if (renewUrl != null) {
            renewEnv.put("GK8S_AGENT_ENROLL_URL", renewUrl);
        }
        agent.renewOnCommand(EnrollStep.renewer(null, renewEnv).orElseThrow());
        Path k3sDir = Files.createDirectories(dir.resolve(site).resolve(node).resolve("k3s"));
        String standIn = "sh " + Path.of("../ha-harness/k3s-standin.sh").toAbsolutePath().normalize() + " " + k3sDir;
        var node3s = new io.geminik8s.agent.k3s.ProcessK3s(standIn, standIn + " certificate rotate",
                k3sDir.resolve("k3s.log"), sql -> { });
        node3s.start();
        k3s.add(node3s);
        k3sDirs.put(site + "/" + node, k3sDir);
        agent.afterRenewal(node3s::rotateCertificates); // as HaNode.certificateRenewed does on a node with HA
        agents.add(agent);
        envs.put(site + "/" + node, env);
        pems.put(site + "/" + node, dir.resolve(site).resolve(node).resolve("tls").resolve("node.pem"));
        agent.start();
    }

    String serial(String site, String node) throws Exception {
        return Pem.readCertificates(Files.readString(pems.get(site + "/" + node))).get(0).getSerialNumber()
                .toString(16);
    }

    /** Every node of the sites online and reporting the role it was given. */
    static boolean ready(List<String> sites, Map<String, String> standbyOf) {
        for (String site : sites) {
            var j = RestAssured.given().get("/api/v1/sites/" + site).then().extract().jsonPath();
            List<Map<String, Object>> nodes = j.getList("nodes");
            if (nodes == null || nodes.size() != 2) {
                return false;
            }
            for (Map<String, Object> n : nodes) {
                String want = n.get("id").equals(standbyOf.get(site)) ? "standby" : "primary";
                if (!Boolean.TRUE.equals(n.get("online")) || !want.equals(n.get("role"))) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public void close() {
        agents.forEach(Agent::close);
        k3s.forEach(io.geminik8s.agent.k3s.ProcessK3s::stop);
    }
}

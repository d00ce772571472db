package io.geminik8s.agent.backup;

import static io.geminik8s.agent.backup.PgBackRestTest.text;

import io.geminik8s.agent.ha.PairMachine;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.embedded.FreePort;
import io.geminik8s.protocol.BackupSpec;
import java.nio.file.Path;
import java.util.Map;

/**
 * For the peer repository's tests (real PostgreSQL 15 and pgBackRest, {@link BackupSite}): a primary {@code a} with a
 * table {@code t} and its streaming standby {@code b} on loopback, each with its peer repository (a TLS port of its
 * own) and backup service, and the site's spec with {@code peerRepository} in {@code <root>/peer-repo}.
 */
final class PeerPair implements AutoCloseable {

    static final BackupPlanner.Role STANDBY = new BackupPlanner.Role(PairMachine.State.STANDBY, true);

    final BackupSite site;
    final PgControl a;
    final PgControl b;
    final PeerRepository.Side sa;
    final PeerRepository.Side sb;
    final PeerRepository onAPeer;
    final PeerRepository onBPeer;
    final BackupService onA;
    final BackupService onB;
    final Path peerRepo;
    final BackupSpec spec;

    private PeerPair(BackupSite site) throws Exception {
        this.site = site;
        a = site.node("a");
        b = site.node("b");
        a.initPrimary();
        a.sql("CREATE TABLE t (id int PRIMARY KEY)");
        b.cloneFrom(a);
        sa = side(site, a);
        sb = side(site, b);
        onAPeer = new PeerRepository(site.tool(a), sa, sb);
        onBPeer = new PeerRepository(site.tool(b), sb, sa);
        onA = service(onAPeer);
        onB = service(onBPeer);
        peerRepo = site.root.resolve("peer-repo");
        spec = BackupSpec.parse(Map.of("schedule", Map.of("full", "7d", "incr", "1h"),
                "retention", Map.of("full", 2), "archiveTimeoutSeconds", 10,
                "repository", Map.of("path", site.central.toString()),
                "peerRepository", Map.of("path", peerRepo.toString())));
    }

    static PeerPair start(String prefix) throws Exception {
        BackupSite site = BackupSite.create(prefix);
        try {
            return new PeerPair(site);
        } catch (Exception | Error e) {
            site.close();
            throw e;
        }
    }

    /** Another service over {@code repo} (an agent started again over the same files). */
    BackupService service(PeerRepository repo) {
        PgControl node = repo == onAPeer ? a : b;
        return site.service(node).withPeer(repo, BackupKey.peer(BackupSite.SECRET),
                BackupKey.tlsCaSeed(BackupSite.SECRET));
    }

    static PeerRepository.Side side(BackupSite site, PgControl pg) {
        return new PeerRepository.Side(pg.name(), "127.0.0.1", FreePort.find(), pg.dataDirectory().toAbsolutePath(),
                pg.port(), site.root.resolve(pg.name() + ".sock"));
    }

    /** A row into {@code t}, then a WAL switch: the name of the segment switched away from. */
    static String switchWal(PgControl pg, int id) throws Exception {
        pg.sql("INSERT INTO t VALUES (" + id + ")");
        return text(pg, "SELECT pg_walfile_name(pg_switch_wal())");
    }

    static String lastArchived(PgControl pg) throws Exception {
        return text(pg, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
    }

    static long failedCount(PgControl pg) throws Exception {
        return Long.parseLong(text(pg, "SELECT failed_count FROM pg_stat_archiver"));
    }

    /** Whether the repository's newest archived WAL segment is {@code segment} or later. */
    static boolean peerHas(PeerRepository repo, String segment) {
        String max = repo.info().archiveMax();
        return max != null && segment.compareTo(max) <= 0;
    }

    @Override
    public void close() throws Exception {
        onAPeer.close();
        onBPeer.close();
        site.close();
    }
}

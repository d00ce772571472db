package io.geminik8s.hub.enrollment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.hub.HubConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/** Site pair configurations in PostgreSQL; a site's peer-link key is made once and kept across claims. */
@ApplicationScoped
public class SitePairStore {

    /** A site's pair configuration with its peer-link key and database secret. */
    record Stored(SitePair pair, String peerKey, String pgSecret) {
    }

    private static final String SAVE = "INSERT INTO site_pair (site_id, vip, nodes, peer_key, pg_secret, updated_ms)"
            + " VALUES ($1, $2, $3::text::jsonb, $4, $5, $6) ON CONFLICT (site_id) DO UPDATE SET vip = excluded.vip,"
            + " nodes = excluded.nodes, pg_secret = coalesce(site_pair.pg_secret, excluded.pg_secret),"
            + " updated_ms = excluded.updated_ms";
    private static final String LOAD = "SELECT vip, nodes::text AS nodes, peer_key, pg_secret FROM site_pair"
            + " WHERE site_id = $1";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Pool pool;
    private final HubConfig config;
    private final ObjectMapper json;

    public SitePairStore(Pool pool, HubConfig config, ObjectMapper json) {
        this.pool = pool;
        this.config = config;
        this.json = json;
    }

    /** Saves the site's pair, in the claim's transaction ({@link ClaimStore}). */
    Uni<Void> save(SqlClient tx, String site, SitePair p, long now) {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key); // used only if the site has none yet
        byte[] pgSecret = new byte[32];
        RANDOM.nextBytes(pgSecret); // likewise
        String nodes;
        try {
            nodes = json.writeValueAsString(p.nodes());
        } catch (JsonProcessingException e) {
            return Uni.createFrom().failure(e);
        }
        return tx.preparedQuery(SAVE).execute(Tuple.of(site, p.vip(), nodes, HexFormat.of().formatHex(key),
                HexFormat.of().formatHex(pgSecret), now)).replaceWithVoid();
    }

    Uni<Optional<Stored>> load(String site) {
        return load(pool, LOAD, site).ifNoItem().after(config.dbTimeout()).fail();
    }

    /** In a claim's transaction: the stored pair, share-locked until the claim is written. */
    Uni<Optional<Stored>> loadLocked(SqlClient tx, String site) {
        return load(tx, LOAD + " FOR SHARE", site);
    }

    private Uni<Optional<Stored>> load(SqlClient c, String sql, String site) {
        return c.preparedQuery(sql).execute(Tuple.of(site)).map(rows -> {
            if (!rows.iterator().hasNext()) {
                return Optional.<Stored>empty();
            }
            Row r = rows.iterator().next();
            try {
                Map<String, String> nodes = json.readValue(r.getString("nodes"), new TypeReference<>() { });
                return Optional.of(new Stored(new SitePair(r.getString("vip"), nodes), r.getString("peer_key"),
                        r.getString("pg_secret")));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("site_pair of " + site + " is unreadable", e);
            }
        });
    }
}

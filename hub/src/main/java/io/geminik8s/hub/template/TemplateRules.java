package io.geminik8s.hub.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The rules a template must follow on its own ({@link #check}) and against the revision it replaces ({@link #checkChange}). */
public final class TemplateRules {

    /** A broken rule at a field path. */
    public record Finding(String path, String message) {
    }

    static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    static final Pattern K3S = Pattern.compile("v(\\d+)\\.(\\d+)\\.(\\d+)\\+k3s(\\d+)");
    static final Pattern SEMVER = Pattern.compile("\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?");
    static final Pattern SHARE = Pattern.compile("(\\d{1,3})%");
    static final Pattern PG_PARAM = Pattern.compile("[a-z][a-z0-9_.]{0,62}");
    /**
     * Set by the HA supervisor and PostgreSQL management, and by the agent's backups (spec.backup: archiving, the
     * socket pgBackRest uses, restore settings); a template must not fight them.
     */
    static final Set<String> PG_MANAGED = Set.of("synchronous_standby_names", "default_transaction_read_only",
            "listen_addresses", "port", "wal_level", "hot_standby", "wal_log_hints", "primary_conninfo",
            "primary_slot_name", "cluster_name", "synchronous_commit", "data_directory", "hba_file",
            "archive_mode", "archive_command", "archive_timeout", "archive_library", "restore_command",
            "unix_socket_directories");

    private TemplateRules() {
    }

    public static List<Finding> check(SiteTemplate t) {
        List<Finding> f = new ArrayList<>();
        if (!SiteTemplate.API_VERSION.equals(t.apiVersion())) {
            f.add(new Finding("apiVersion", "must be " + SiteTemplate.API_VERSION + ", got " + t.apiVersion()));
        }
        if (!SiteTemplate.KIND.equals(t.kind())) {
            f.add(new Finding("kind", "must be " + SiteTemplate.KIND + ", got " + t.kind()));
        }
        if (t.metadata() == null || t.metadata().name() == null) {
            f.add(new Finding("metadata.name", "required"));
        } else if (!NAME.matcher(t.metadata().name()).matches()) {
            f.add(new Finding("metadata.name", "lowercase letters, digits and '-', at most 63: '" + t.metadata().name() + "'"));
        }
        var s = t.spec();
        if (s == null) {
            f.add(new Finding("spec", "required"));
            return f;
        }
        if (s.selector() == null || s.selector().isEmpty()) {
            f.add(new Finding("spec.selector", "required: the labels that bind sites to this template"));
        }
        versions(s.versions(), f);
        postgres(s.postgres(), f);
        if (s.vip() == null || s.vip().device() == null) {
            f.add(new Finding("spec.vip.device", "required"));
        } else if (s.vip().prefixLength() == null || s.vip().prefixLength() < 8 || s.vip().prefixLength() > 32) {
            f.add(new Finding("spec.vip.prefixLength", "between 8 and 32"));
        }
        certificates(s.certificates(), f);
        health(s.health(), f);
        rollout(s.rollout(), f);
        artifacts(s, f);
        backup(s.backup(), f);
        return f;
    }

    /** The agents' own rules ({@link io.geminik8s.protocol.BackupSpec#parse}), each problem at its field. */
    private static void backup(Object backup, List<Finding> f) {
        if (backup == null) {
            return;
        }
        try {
            io.geminik8s.protocol.BackupSpec.parse(backup);
        } catch (IllegalArgumentException e) {
            atFields(e.getMessage(), "backup", f);
        }
    }

    /** Well-formed, one per name, and a K3s or agent artifact carries the version the template names. */
    private static void artifacts(SiteTemplate.Spec s, List<Finding> f) {
        if (s.artifacts() == null) {
            return;
        }
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < s.artifacts().size(); i++) {
            var a = s.artifacts().get(i);
            String at = "spec.artifacts[" + i + "]";
            if (a == null) {
                f.add(new Finding(at, "an artifact: name, version, url, sha256, size, signature"));
                continue;
            }
            a.problem().ifPresent(p -> f.add(new Finding(at + "." + p.substring(0, p.indexOf(':')),
                    p.substring(p.indexOf(':') + 2))));
            if (a.name() != null && !names.add(a.name())) {
                f.add(new Finding(at + ".name", "'" + a.name() + "' is named twice"));
            }
            String want = s.versions() == null ? null : "k3s".equals(a.name()) ? s.versions().k3s()
                    : "agent".equals(a.name()) ? s.versions().agent() : null;
            if (want != null && !want.equals(a.version())) {
                f.add(new Finding(at + ".version", a.name() + " " + a.version() + " is not the template's "
                        + a.name() + " version " + want));
            }
        }
    }

    /** Version skew between the revision a site runs and the next one. */
    public static List<Finding> checkChange(SiteTemplate from, SiteTemplate to) {
        List<Finding> f = new ArrayList<>();
        Matcher a = K3S.matcher(from.spec().versions().k3s());
        Matcher b = K3S.matcher(to.spec().versions().k3s());
        if (a.matches() && b.matches()) {
            int majorA = Integer.parseInt(a.group(1));
            int minorA = Integer.parseInt(a.group(2));
            int majorB = Integer.parseInt(b.group(1));
            int minorB = Integer.parseInt(b.group(2));
            if (majorA != majorB || minorB - minorA > 1) {
                f.add(new Finding("spec.versions.k3s", "from " + from.spec().versions().k3s() + " to "
                        + to.spec().versions().k3s() + " skips a minor version: Kubernetes upgrades one minor at a time"));
            } else if (minorB < minorA || (minorB == minorA && compareParts(a, b) > 0)) {
                f.add(new Finding("spec.versions.k3s", "from " + from.spec().versions().k3s() + " to "
                        + to.spec().versions().k3s() + " is a downgrade, which K3s does not support"));
            }
        }
        Integer pgA = from.spec().versions().postgresMajor();
        Integer pgB = to.spec().versions().postgresMajor();
        boolean migration = to.spec().postgres() != null && "major-upgrade".equals(to.spec().postgres().migration());
        if (pgA != null && pgB != null && !pgA.equals(pgB)) {
            if (pgB < pgA) {
                f.add(new Finding("spec.versions.postgresMajor", "from " + pgA + " to " + pgB
                        + ": PostgreSQL cannot go back a major version"));
            } else if (!migration) {
                f.add(new Finding("spec.versions.postgresMajor", "from " + pgA + " to " + pgB + " needs an explicit "
                        + "migration step: set spec.postgres.migration: major-upgrade (a pair cannot stream across majors)"));
            } else if (pgB - pgA > 1) {
                f.add(new Finding("spec.versions.postgresMajor", "from " + pgA + " to " + pgB
                        + ": one major version per revision"));
            }
        }
        return f;
    }

    private static int compareParts(Matcher a, Matcher b) {
        int patch = Integer.compare(Integer.parseInt(a.group(3)), Integer.parseInt(b.group(3)));
        return patch != 0 ? patch : Integer.compare(Integer.parseInt(a.group(4)), Integer.parseInt(b.group(4)));
    }

    private static void versions(SiteTemplate.Versions v, List<Finding> f) {
        if (v == null) {
            f.add(new Finding("spec.versions", "required (k3s, agent, postgresMajor)"));
            return;
        }
        if (v.k3s() == null || !K3S.matcher(v.k3s()).matches()) {
            f.add(new Finding("spec.versions.k3s", "a K3s release like v1.31.4+k3s1, got " + v.k3s()));
        }
        if (v.agent() == null || !SEMVER.matcher(v.agent()).matches()) {
            f.add(new Finding("spec.versions.agent", "a version like 1.4.2, got " + v.agent()));
        }
        if (v.postgresMajor() == null || v.postgresMajor() < 14 || v.postgresMajor() > 18) {
            f.add(new Finding("spec.versions.postgresMajor", "a supported PostgreSQL major (14 to 18), got "
                    + v.postgresMajor()));
        }
    }

    private static void postgres(SiteTemplate.Postgres p, List<Finding> f) {
        if (p == null) {
            return;
        }
        for (Map.Entry<String, String> e : p.settings() == null ? Map.<String, String>of().entrySet()
                : p.settings().entrySet()) {
            String path = "spec.postgres.settings." + e.getKey();
            if (!PG_PARAM.matcher(e.getKey()).matches()) {
                f.add(new Finding(path, "not a PostgreSQL parameter name"));
            } else if (PG_MANAGED.contains(e.getKey())) {
                f.add(new Finding(path, "managed by the agent's HA supervisor; a template must not set it"));
            } else if (e.getValue() == null || e.getValue().isBlank()) {
                f.add(new Finding(path, "needs a value"));
            }
        }
        if (p.migration() != null && !p.migration().equals("none") && !p.migration().equals("major-upgrade")) {
            f.add(new Finding("spec.postgres.migration", "none or major-upgrade, got " + p.migration()));
        }
    }

    private static void certificates(SiteTemplate.Certificates c, List<Finding> f) {
        if (c == null || c.agentLifetimeDays() == null || c.renewBeforeDays() == null) {
            f.add(new Finding("spec.certificates", "required: agentLifetimeDays and renewBeforeDays"));
            return;
        }
        if (c.agentLifetimeDays() < 1 || c.agentLifetimeDays() > 397) {
            f.add(new Finding("spec.certificates.agentLifetimeDays", "1 to 397 days, got " + c.agentLifetimeDays()));
        }
        if (c.renewBeforeDays() < 1 || c.renewBeforeDays() >= c.agentLifetimeDays()) {
            f.add(new Finding("spec.certificates.renewBeforeDays", "at least 1 and less than agentLifetimeDays ("
                    + c.agentLifetimeDays() + "), got " + c.renewBeforeDays()));
        }
        try { // the agents' own rules, each problem at its field
            io.geminik8s.protocol.CertificateFiles.parse(c.files(), java.time.Instant.now());
        } catch (IllegalArgumentException e) {
            atFields(e.getMessage(), "certificates", f);
        }
    }

    /**
     * The agents' validators' problems ({@code section.field: message; ...}), each at its field; a part that names
     * no field of {@code section} (a value quoted in a message may hold anything) stays with the section.
     */
    private static void atFields(String problems, String section, List<Finding> f) {
        for (String problem : problems.split("; (?=" + section + "[.:\\[])")) {
            int colon = problem.indexOf(": ");
            String field = colon < 0 ? "" : problem.substring(0, colon);
            if (colon < 0 || !field.matches(section + "([.\\[][A-Za-z0-9_.\\[\\]]*)?")) {
                f.add(new Finding("spec." + section, problem));
            } else {
                f.add(new Finding("spec." + field, problem.substring(colon + 2)));
            }
        }
    }

    private static void health(SiteTemplate.Health h, List<Finding> f) {
        if (h == null) {
            f.add(new Finding("spec.health", "required: what a rollout verifies"));
            return;
        }
        percent("spec.health.cpuPctMax", h.cpuPctMax(), f);
        percent("spec.health.diskPctMax", h.diskPctMax(), f);
        if (h.replicationLagBytesMax() == null || h.replicationLagBytesMax() < 0) {
            f.add(new Finding("spec.health.replicationLagBytesMax", "required, at least 0"));
        }
        if (h.soakSeconds() == null || h.soakSeconds() < 0) {
            f.add(new Finding("spec.health.soakSeconds", "required, at least 0"));
        }
    }

    private static void percent(String path, Double v, List<Finding> f) {
        if (v == null || v <= 0 || v > 100) {
            f.add(new Finding(path, "a percentage in (0, 100], got " + v));
        }
    }

    private static void rollout(SiteTemplate.RolloutDefaults r, List<Finding> f) {
        if (r == null) {
            return; // the hub's defaults apply
        }
        if (r.canary() != null && !r.canary().matches("[1-9]\\d{0,5}") && !share(r.canary(), false)) {
            f.add(new Finding("spec.rollout.canary", "a number of sites (\"1\") or a share (\"2%\"), got " + r.canary()));
        }
        if (r.waves() != null) {
            int last = 0;
            for (int i = 0; i < r.waves().size(); i++) {
                Matcher m = SHARE.matcher(String.valueOf(r.waves().get(i)));
                int pct = m.matches() ? Integer.parseInt(m.group(1)) : -1;
                if (pct <= last || pct > 100) {
                    f.add(new Finding("spec.rollout.waves[" + i + "]", "shares must grow and stay within 100%, got "
                            + r.waves().get(i)));
                    break;
                }
                last = pct;
            }
            if (last != 100 && f.stream().noneMatch(x -> x.path().startsWith("spec.rollout.waves"))) {
                f.add(new Finding("spec.rollout.waves", "the last wave must be 100%"));
            }
        }
        if (r.soakMinutes() != null && (r.soakMinutes() < 0 || r.soakMinutes() > 10_080)) {
            f.add(new Finding("spec.rollout.soakMinutes", "0 to 10080 (a week), got " + r.soakMinutes()));
        }
        if (r.maxInFlight() != null && r.maxInFlight() < 1) {
            f.add(new Finding("spec.rollout.maxInFlight", "at least 1, got " + r.maxInFlight()));
        }
        if (r.failureThreshold() != null && (r.failureThreshold() < 0 || r.failureThreshold() > 1)) {
            f.add(new Finding("spec.rollout.failureThreshold", "a fraction from 0 to 1, got " + r.failureThreshold()));
        }
        if (r.onFailure() != null && !r.onFailure().equals("pause") && !r.onFailure().equals("abort")) {
            f.add(new Finding("spec.rollout.onFailure", "pause or abort, got " + r.onFailure()));
        }
    }

    private static boolean share(String s, boolean allowZero) {
        Matcher m = SHARE.matcher(s);
        return m.matches() && Integer.parseInt(m.group(1)) <= 100 && (allowZero || Integer.parseInt(m.group(1)) > 0);
    }
}

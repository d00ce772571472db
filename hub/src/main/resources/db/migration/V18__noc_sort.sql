-- The NOC view's sorted pages at fleet scale (issue 15): worst status first and most recently changed, as index
-- scans that stop after one page instead of sorting every site (presence/SiteQuery; the live stream's look for
-- changed sites uses the second). V18: main already has a V17.
CREATE INDEX site_severity_idx ON site ((CASE status WHEN 'split' THEN 0 WHEN 'offline' THEN 1 WHEN 'degraded' THEN 2
    ELSE 3 END), id);
CREATE INDEX site_updated_idx ON site (updated_at, id);

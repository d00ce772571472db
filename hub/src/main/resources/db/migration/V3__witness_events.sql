-- The witness's own events (failover started/finished, standby lost, split prevented) live beside the agents'
-- events under node '_witness', which no agent can be called (node ids start with a letter or digit).
CREATE SEQUENCE witness_event_seq;
-- Events that must be recorded once (e.g. "failover started" for an epoch, asked every 500 ms) carry attrs.once.
CREATE UNIQUE INDEX node_event_witness_once ON node_event (site_id, type, (attrs ->> 'once'))
    WHERE node_id = '_witness' AND attrs ? 'once';

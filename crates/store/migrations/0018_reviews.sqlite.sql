CREATE TRIGGER authz_events_no_update BEFORE UPDATE ON authz_events
BEGIN SELECT RAISE(ABORT, 'the authorization register is append-only'); END;
CREATE TRIGGER authz_events_no_delete BEFORE DELETE ON authz_events
BEGIN SELECT RAISE(ABORT, 'the authorization register is append-only'); END;

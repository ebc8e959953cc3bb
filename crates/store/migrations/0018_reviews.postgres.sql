CREATE TRIGGER authz_events_no_change BEFORE UPDATE OR DELETE ON authz_events
    FOR EACH ROW EXECUTE FUNCTION normverk_append_only();
CREATE TRIGGER authz_events_no_truncate BEFORE TRUNCATE ON authz_events
    FOR EACH STATEMENT EXECUTE FUNCTION normverk_append_only();

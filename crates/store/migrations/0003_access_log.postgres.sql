
CREATE FUNCTION normverk_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the access log is append-only'; END $$;
CREATE TRIGGER access_leaves_no_change BEFORE UPDATE OR DELETE ON access_leaves
    FOR EACH ROW EXECUTE FUNCTION normverk_append_only();
CREATE TRIGGER access_leaves_no_truncate BEFORE TRUNCATE ON access_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION normverk_append_only();
CREATE TRIGGER access_payloads_no_update BEFORE UPDATE ON access_payloads
    FOR EACH ROW EXECUTE FUNCTION normverk_append_only();

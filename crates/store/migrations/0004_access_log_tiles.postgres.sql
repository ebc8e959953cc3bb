
CREATE TRIGGER access_tiles_no_change BEFORE UPDATE OR DELETE ON access_tiles
    FOR EACH ROW EXECUTE FUNCTION normverk_append_only();
CREATE TRIGGER access_tiles_no_truncate BEFORE TRUNCATE ON access_tiles
    FOR EACH STATEMENT EXECUTE FUNCTION normverk_append_only();
CREATE TRIGGER access_checkpoints_no_change BEFORE UPDATE OR DELETE ON access_checkpoints
    FOR EACH ROW EXECUTE FUNCTION normverk_append_only();
CREATE TRIGGER access_checkpoints_no_truncate BEFORE TRUNCATE ON access_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION normverk_append_only();


CREATE TRIGGER access_leaves_no_update BEFORE UPDATE ON access_leaves
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_leaves_no_delete BEFORE DELETE ON access_leaves
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_payloads_no_update BEFORE UPDATE ON access_payloads
BEGIN SELECT RAISE(ABORT, 'access events cannot be changed'); END;

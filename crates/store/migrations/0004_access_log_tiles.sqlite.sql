
CREATE TRIGGER access_tiles_no_update BEFORE UPDATE ON access_tiles
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_tiles_no_delete BEFORE DELETE ON access_tiles
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_checkpoints_no_update BEFORE UPDATE ON access_checkpoints
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_checkpoints_no_delete BEFORE DELETE ON access_checkpoints
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;

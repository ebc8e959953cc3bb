
-- The patient a deviation concerns, in the access log's form (`fnr:…`), when the reporter named
-- one: every read of such a deviation is appended to the access log under this patient.
ALTER TABLE deviations ADD COLUMN patient_id TEXT;

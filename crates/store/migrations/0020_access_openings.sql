-- The values of an event's sealed fields (those a patient's insight withholds) with the keys
-- of their commitments, as JSON; NULL for an event with none. Removed with the payload.
ALTER TABLE access_payloads ADD COLUMN openings TEXT;

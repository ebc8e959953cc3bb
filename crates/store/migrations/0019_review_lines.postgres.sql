ALTER TABLE review_items
    DROP CONSTRAINT review_items_org_id_fkey,
    DROP CONSTRAINT review_items_authorisation_id_fkey,
    DROP CONSTRAINT review_items_person_id_fkey,
    DROP CONSTRAINT review_items_manager_id_fkey;

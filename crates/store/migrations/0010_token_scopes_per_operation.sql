-- Each API operation now needs the one scope it names, and reading members has a scope of its
-- own. Tokens issued before keep what they could do: writing the organisation implied reading
-- it, reading it implied reading its members, and writing deviations implied reading them.
UPDATE api_tokens SET scopes = scopes || ' org:read'
 WHERE (' ' || scopes || ' ') LIKE '% org:write %' AND (' ' || scopes || ' ') NOT LIKE '% org:read %';
UPDATE api_tokens SET scopes = scopes || ' members:read'
 WHERE (' ' || scopes || ' ') LIKE '% org:read %' AND (' ' || scopes || ' ') NOT LIKE '% members:read %';
UPDATE api_tokens SET scopes = scopes || ' deviation:read'
 WHERE (' ' || scopes || ' ') LIKE '% deviation:write %' AND (' ' || scopes || ' ') NOT LIKE '% deviation:read %';

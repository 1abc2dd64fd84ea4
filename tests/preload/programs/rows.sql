-- sqlite3 job for the preload tests: 100 000 rows, an index, joins and aggregates.
-- No fsync: the job measures the allocator, not the disk.
PRAGMA synchronous = OFF;
CREATE TABLE items(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, price REAL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO items SELECT i, i % 97, printf('item-%06d-%s', i, hex(i * 7919)), (i % 1000) / 10.0
FROM n;
CREATE INDEX items_grp ON items(grp, price);
CREATE TABLE groups AS SELECT grp, count(*) AS n, sum(price) AS total FROM items GROUP BY grp;
SELECT count(*), sum(price), min(name), max(name) FROM items;
SELECT grp, n, printf('%.1f', total) FROM groups ORDER BY total DESC LIMIT 5;
SELECT g.grp, count(*) FROM items i JOIN groups g ON i.grp = g.grp
WHERE i.price > 50 GROUP BY g.grp ORDER BY g.grp LIMIT 5;
SELECT name FROM items WHERE name LIKE '%-AB%' ORDER BY name LIMIT 5;
UPDATE items SET name = upper(name) WHERE id % 3 = 0;
DELETE FROM items WHERE id % 5 = 0;
SELECT count(*), count(DISTINCT substr(name, 1, 8)) FROM items;

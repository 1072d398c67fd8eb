-- A smoke test of a SQLite shell built by scripts/real-projects.sh; the
-- expected output (smoke.sql.expected) was derived by hand: sums by
-- formula, counts by divisibility.
PRAGMA journal_mode=WAL;
CREATE TABLE t(i INTEGER PRIMARY KEY, x REAL, s TEXT);
WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 10000)
INSERT INTO t SELECT n, n * 0.5, printf('row%05d', n) FROM c;
SELECT count(*), sum(i), sum(x), min(s), max(s) FROM t;
CREATE INDEX tx ON t(x);
SELECT group_concat(i, ',') FROM t WHERE x BETWEEN 10 AND 11;
SELECT sum(i) FROM t WHERE i % 7 = 0;
SELECT i % 3, count(*) FROM t GROUP BY 1 ORDER BY 1;
SELECT count(*) FROM t a JOIN t b ON b.i = a.i * 2;
SELECT i, sum(i) OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM t WHERE i <= 3;
SELECT printf('%.6f', sum(1.0 / i)) FROM t WHERE i <= 10;
BEGIN;
DELETE FROM t WHERE i > 5000;
SELECT count(*) FROM t;
ROLLBACK;
SELECT count(*) FROM t;
UPDATE t SET s = upper(s) WHERE i <= 2;
SELECT s FROM t WHERE i <= 3 ORDER BY i;
SELECT json_extract('{"a":[1,2,{"b":3}]}', '$.a[2].b');
CREATE VIRTUAL TABLE d USING fts4(body);
INSERT INTO d VALUES ('apple pie'), ('banana split'), ('apple and banana');
SELECT count(*) FROM d WHERE d MATCH 'apple';
SELECT count(*) FROM d WHERE d MATCH 'apple banana';
CREATE VIRTUAL TABLE r USING rtree(id, x0, x1);
INSERT INTO r VALUES (1, 0, 10), (2, 5, 15), (3, 20, 30);
SELECT group_concat(id, ',') FROM (SELECT id FROM r WHERE x1 >= 8 AND x0 <= 12 ORDER BY id);
SELECT substr('differentiation', 4, 6), replace('a-b-c', '-', '+'), length(zeroblob(100));
SELECT abs(-9223372036854775807), 7 / 2, 7.0 / 2, round(2.675, 2) BETWEEN 2.67 AND 2.68;
PRAGMA integrity_check;

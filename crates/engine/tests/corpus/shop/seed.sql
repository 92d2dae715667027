-- Deterministic data for the semantic corpus (DuckDB). Every query is compared with hand-written
-- SQL over these tables.
CREATE TABLE main.users AS
SELECT i AS id,
       'user' || i AS name,
       CASE WHEN i % 10 = 0 THEN NULL ELSE 15 + (i * 7) % 60 END AS age,
       CASE i % 3 WHEN 0 THEN 'US' WHEN 1 THEN 'FR' ELSE NULL END AS country,
       TIMESTAMP '2023-01-01 00:00:00' + to_seconds(i * 40000) AS created_at
FROM range(1, 121) t(i);

CREATE TABLE main.orders AS
SELECT i AS id,
       1 + (i * 13) % 120 AS user_id,
       CASE i % 4 WHEN 0 THEN 'complete' WHEN 1 THEN 'pending' WHEN 2 THEN 'cancelled' ELSE 'complete' END AS status,
       CAST(((i * 37) % 150) + (i % 7) * 0.25 AS DECIMAL(10, 2)) AS amount,
       TIMESTAMP '2023-06-01 00:00:00' + to_seconds(i * 86413 + (i * i) % 3600) AS created_at,
       CASE WHEN i % 5 = 0 THEN NULL ELSE 1700000000 + i * 90000 END AS shipped_epoch,
       CAST(strftime(DATE '2023-03-01' + INTERVAL (i * 3) DAY, '%Y%m%d') AS INTEGER) AS booked_ymd
FROM range(1, 401) t(i);

CREATE TABLE main.order_items AS
SELECT o.id * 10 + k AS id,
       o.id AS order_id,
       o.amount AS order_amount,
       CAST(5 + ((o.id * 11 + k * 17) % 90) AS DECIMAL(10, 2)) AS sale_price
FROM main.orders o, range(0, 3) r(k)
WHERE k < 1 + o.id % 3;

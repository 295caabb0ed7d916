/** The demo's domain table. Plain SQL accepted by MySQL 8 and MariaDB. */
export const ORDERS_TABLE_DDL = `CREATE TABLE IF NOT EXISTS demo_orders (
  id CHAR(36) NOT NULL,
  customer_id VARCHAR(64) NOT NULL,
  total_cents INT NOT NULL,
  item_count INT NOT NULL,
  status VARCHAR(16) NOT NULL,
  version INT NOT NULL,
  PRIMARY KEY (id),
  KEY demo_orders_customer (customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

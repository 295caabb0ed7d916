/**
 * The read models. `demo_customer_totals` is built from non-idempotent increments: applying
 * an event twice would show as a wrong sum, which is what makes it the strictest check of
 * exactly-once. Plain SQL accepted by MySQL 8 and MariaDB.
 */
export const READ_MODEL_DDL = [
  `CREATE TABLE IF NOT EXISTS demo_order_status (
  order_id CHAR(36) NOT NULL,
  customer_id VARCHAR(64) NOT NULL,
  status VARCHAR(16) NOT NULL,
  total_cents INT NOT NULL,
  PRIMARY KEY (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS demo_customer_totals (
  customer_id VARCHAR(64) NOT NULL,
  orders_placed INT NOT NULL DEFAULT 0,
  placed_cents BIGINT NOT NULL DEFAULT 0,
  paid_cents BIGINT NOT NULL DEFAULT 0,
  cancelled_cents BIGINT NOT NULL DEFAULT 0,
  loyalty_points BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
];

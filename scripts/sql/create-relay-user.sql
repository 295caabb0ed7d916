-- Lockstep relay: a least-privilege MySQL/MariaDB user.
-- The relay reads the binlog (replication protocol), reads nothing else but the outbox
-- table, and upserts its informational checkpoint row. It needs no DDL, no DELETE, no SUPER.
-- Replace relay / change-me / shop before running. The same statements are produced by
-- relayUserGrantsSql(user, password, database, table) from @lockstep/relay.

CREATE USER IF NOT EXISTS 'relay'@'%' IDENTIFIED BY 'change-me';

-- Read the binlog as a replica would (COM_BINLOG_DUMP).
-- MariaDB >= 10.5: BINLOG MONITOR is the new name of REPLICATION CLIENT (SHOW BINARY LOGS,
-- binlog variables). MySQL 8: use REPLICATION CLIENT instead of BINLOG MONITOR.
GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'relay'@'%';
-- MySQL 8.x:  GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'relay'@'%';

-- Preflight checks that the outbox table exists and is readable.
GRANT SELECT ON `shop`.`lockstep_outbox` TO 'relay'@'%';

-- Mirror of the committed checkpoint (outbox retention and `lockstep status` read it).
-- Leave out when the relay runs with LOCKSTEP_RELAY_CHECKPOINT_TABLE=off.
GRANT SELECT, INSERT, UPDATE ON `shop`.`lockstep_relay_checkpoint` TO 'relay'@'%';

-- GET_LOCK/RELEASE_LOCK (leader election) need no privilege.

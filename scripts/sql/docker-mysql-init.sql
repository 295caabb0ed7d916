-- First start of the docker-compose MySQL: the same `lockstep` admin user the local
-- MariaDB has, so tests and the demo run unchanged against it.
CREATE USER IF NOT EXISTS 'lockstep'@'%' IDENTIFIED BY 'lockstep';
GRANT ALL PRIVILEGES ON *.* TO 'lockstep'@'%' WITH GRANT OPTION;
FLUSH PRIVILEGES;

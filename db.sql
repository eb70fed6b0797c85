-- MySQL/MariaDB schema of the comet server (docs/protocol/cometql.md §9.1).
--
-- The tables and columns are CppComet's own, so a CppComet user's existing database keeps working.
-- The server applies this file itself at start-up (every statement is CREATE TABLE IF NOT EXISTS),
-- then brings an original CppComet database up to date with ALTER TABLE
-- (src/storage/mysql_schema_upgrade.ts, which embeds this file).
-- Run it by hand only if the server's MySQL user may not create tables.
--
-- Added beside the original columns, and why:
--   `seq` in pipe_messages and users_messages: `time` has 1-second resolution, so it cannot order two
--     messages sent in the same second; history and the offline queue are read in `seq` order,
--     which is exact insertion order.
--   indexes on (dev_id, pipe_name, seq) and (dev_id, user_id, seq): trimming and reading a pipe's
--     history or a user's queue touch only that pipe's or user's rows.
--   comet_schema_version: which of the server's migrations this database has had.
-- Changed from the original, and why:
--   utf8mb4 with binary collation everywhere: 4-byte characters (emoji) survive, and pipe names,
--     events and texts compare exactly as the embedded SQLite storage compares them.
--   mediumtext for message and data: the server accepts messages longer than text's 65535 bytes.
--   users_time is InnoDB, not ENGINE=MEMORY: "last seen" times then survive a MySQL restart, as
--     they do with the embedded SQLite storage. An existing MEMORY table is left as it is.

CREATE TABLE IF NOT EXISTS `pipe_messages` (
  `id` char(36) NOT NULL,
  `time` int NOT NULL,
  `dev_id` int NOT NULL,
  `pipe_name` char(64) NOT NULL,
  `event` char(64) NOT NULL,
  `message` mediumtext NOT NULL,
  `user_id` int NOT NULL DEFAULT 0,
  `seq` bigint NOT NULL AUTO_INCREMENT,
  PRIMARY KEY (`id`),
  UNIQUE KEY `seq` (`seq`),
  KEY `dev_pipe_seq` (`dev_id`, `pipe_name`, `seq`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS `pipes_settings` (
  `dev_id` int NOT NULL,
  `name` char(128) NOT NULL,
  `type` char(1) NOT NULL DEFAULT '0',
  `length` int NOT NULL DEFAULT 0,
  PRIMARY KEY (`dev_id`, `name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS `users_messages` (
  `id` char(36) NOT NULL,
  `time` int NOT NULL,
  `dev_id` int NOT NULL,
  `user_id` int NOT NULL,
  `event` char(64) NOT NULL,
  `message` mediumtext NOT NULL,
  `seq` bigint NOT NULL AUTO_INCREMENT,
  PRIMARY KEY (`id`),
  UNIQUE KEY `seq` (`seq`),
  KEY `dev_user_seq` (`dev_id`, `user_id`, `seq`),
  KEY `time` (`time`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS `users_auth` (
  `dev_id` int NOT NULL,
  `user_id` int NOT NULL,
  `hash` char(32) NOT NULL,
  PRIMARY KEY (`dev_id`, `user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS `users_time` (
  `dev_id` int NOT NULL,
  `user_id` int NOT NULL,
  `time` int NOT NULL,
  PRIMARY KEY (`dev_id`, `user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS `users_data` (
  `dev_id` int NOT NULL,
  `user_id` int NOT NULL,
  `data` mediumtext NOT NULL,
  PRIMARY KEY (`dev_id`, `user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS `revoked_tokens` (
  `dev_id` int NOT NULL,
  `token` varbinary(600) NOT NULL,
  `time` int NOT NULL,
  PRIMARY KEY (`dev_id`, `token`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS `conference` (
  `dev_id` int NOT NULL,
  `name` char(64) NOT NULL,
  `user_id` int NOT NULL,
  `caller_id` int NOT NULL DEFAULT 0,
  `message` text NOT NULL,
  `profile` char(64) NOT NULL DEFAULT 'default',
  `stream` varchar(250) NOT NULL DEFAULT '',
  `node` varchar(250) NOT NULL DEFAULT '',
  `time` int NOT NULL,
  PRIMARY KEY (`dev_id`, `name`, `user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS `log_event` (
  `id` int NOT NULL AUTO_INCREMENT,
  `text` varchar(250) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS `log_query` (
  `id` int NOT NULL AUTO_INCREMENT,
  `dev_id` int NOT NULL,
  `query` text NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS `dev_config` (
  `id` int NOT NULL,
  `key` varchar(64) NOT NULL DEFAULT '',
  `url` varchar(250) NOT NULL DEFAULT '',
  `active_time` int NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS `comet_schema_version` (
  `id` tinyint NOT NULL,
  `version` int NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

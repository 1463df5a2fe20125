/**
 * Builds a small strongSwan IMV config.db for the import tests. The tables and columns are those of strongSwan's
 * src/libimcv/imv/tables.sql (the subset the import reads); the rows mirror the kind of data its data.sql ships
 * (algorithm ids 32768 = SHA1, 16384 = SHA256; a generic product version with the empty package name).
 */
import { DatabaseSync } from 'node:sqlite';

export const SAMPLE = {
  sha256: 'dbcecd19d59310183cf5c31ddee29e8d7bec64d3f9583aad074330a1b3024b07',
  sha1: '6c6f8e12f6cbfba612e780374c4cdcd40f20968a',
  aik: 'b772a6730776b9f028e5adfccd8c3a9ba7c0e96e',
};

export function buildStrongswanDb(path: string): void {
  const db = new DatabaseSync(path);
  db.exec(`
CREATE TABLE directories (id INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT NOT NULL);
CREATE TABLE files (id INTEGER PRIMARY KEY AUTOINCREMENT, dir INTEGER DEFAULT 0, name TEXT NOT NULL);
CREATE TABLE products (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL);
CREATE TABLE algorithms (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL);
CREATE TABLE file_hashes (id INTEGER PRIMARY KEY AUTOINCREMENT, file INTEGER NOT NULL, version INTEGER, device INTEGER,
  size INTEGER, algo INTEGER NOT NULL, hash VARCHAR(64) NOT NULL, mutable INTEGER DEFAULT 0);
CREATE TABLE groups (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL UNIQUE, parent INTEGER);
CREATE TABLE groups_members (id INTEGER PRIMARY KEY AUTOINCREMENT, group_id INTEGER NOT NULL, device_id INTEGER NOT NULL);
CREATE TABLE groups_product_defaults (id INTEGER PRIMARY KEY AUTOINCREMENT, group_id INTEGER NOT NULL, product_id INTEGER NOT NULL);
CREATE TABLE policies (id INTEGER PRIMARY KEY AUTOINCREMENT, type INTEGER NOT NULL, name VARCHAR(100) NOT NULL UNIQUE,
  argument TEXT DEFAULT '' NOT NULL, rec_fail INTEGER NOT NULL, rec_noresult INTEGER NOT NULL, file INTEGER DEFAULT 0, dir INTEGER DEFAULT 0);
CREATE TABLE enforcements (id INTEGER PRIMARY KEY AUTOINCREMENT, policy INTEGER NOT NULL, group_id INTEGER NOT NULL,
  rec_fail INTEGER, rec_noresult INTEGER, max_age INTEGER NOT NULL);
CREATE TABLE sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, connection INTEGER NOT NULL,
  identity INTEGER DEFAULT 0, device INTEGER DEFAULT 0, product INTEGER DEFAULT 0, rec INTEGER DEFAULT 3);
CREATE TABLE results (id INTEGER PRIMARY KEY AUTOINCREMENT, session INTEGER NOT NULL, policy INTEGER NOT NULL, rec INTEGER NOT NULL, result TEXT NOT NULL);
CREATE TABLE components (id INTEGER PRIMARY KEY AUTOINCREMENT, vendor_id INTEGER NOT NULL, name INTEGER NOT NULL, qualifier INTEGER DEFAULT 0, label TEXT NOT NULL);
CREATE TABLE component_hashes (id INTEGER PRIMARY KEY AUTOINCREMENT, component INTEGER NOT NULL, key INTEGER NOT NULL,
  seq_no INTEGER NOT NULL, pcr INTEGER NOT NULL, algo INTEGER NOT NULL, hash BLOB NOT NULL);
CREATE TABLE packages (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, blacklist INTEGER DEFAULT 0);
CREATE TABLE versions (id INTEGER PRIMARY KEY AUTOINCREMENT, product INTEGER NOT NULL, package INTEGER NOT NULL,
  release TEXT, security INTEGER DEFAULT 0, blacklist INTEGER DEFAULT 0, time INTEGER DEFAULT 0);
CREATE TABLE devices (id INTEGER PRIMARY KEY AUTOINCREMENT, description TEXT DEFAULT '', value TEXT NOT NULL,
  product INTEGER, trusted INTEGER DEFAULT 0, created INTEGER, inactive INTEGER DEFAULT 0);
CREATE TABLE swid_tags (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER, package_name VARCHAR(255) NOT NULL,
  version_str VARCHAR(255) NOT NULL, unique_id VARCHAR(255) NOT NULL, swid_xml TEXT NOT NULL, software_id VARCHAR(255) NOT NULL);

INSERT INTO products (name) VALUES ('Debian 7.0 x86_64'), ('Ubuntu 13.04 x86_64');
INSERT INTO algorithms (id, name) VALUES (32768, 'SHA1'), (16384, 'SHA256');
INSERT INTO directories (path) VALUES ('/usr/bin'), ('/usr/sbin');
INSERT INTO files (dir, name) VALUES (1, 'openssl'), (1, 'ls');
INSERT INTO packages (name, blacklist) VALUES ('', 0), ('openssl', 0), ('telnetd', 1);
INSERT INTO versions (product, package, release, time) VALUES (1, 1, NULL, 0);
INSERT INTO versions (product, package, release, security, time) VALUES (1, 2, '1.0.1e-2+deb7u4', 1, 1366531494);
INSERT INTO file_hashes (version, file, algo, hash) VALUES (1, 1, 16384, '${SAMPLE.sha256}'), (1, 1, 32768, '${SAMPLE.sha1}');
INSERT INTO file_hashes (version, file, algo, hash) VALUES (2, 2, 16384, '${SAMPLE.sha256}');
INSERT INTO groups (id, name) VALUES (1, 'Default');
INSERT INTO groups (id, name, parent) VALUES (2, 'Linux', 1), (3, 'Debian x86_64', 2);
INSERT INTO groups_product_defaults (group_id, product_id) VALUES (3, 1);
INSERT INTO devices (value, description, product, trusted, created) VALUES ('${SAMPLE.aik}', 'moon', 1, 1, 1400000000);
INSERT INTO groups_members (group_id, device_id) VALUES (3, 1);
INSERT INTO policies (type, name, rec_fail, rec_noresult) VALUES (1, 'Installed Packages', 2, 2);
INSERT INTO policies (type, name, file, rec_fail, rec_noresult) VALUES (6, 'Measure /usr/bin/openssl', 1, 2, 2);
INSERT INTO policies (type, name, dir, rec_fail, rec_noresult) VALUES (9, 'Measure /usr/sbin', 2, 2, 2);
INSERT INTO policies (type, name, argument, rec_fail, rec_noresult) VALUES (16, 'TPM BIOS Measurements', 'B', 2, 2);
INSERT INTO enforcements (policy, group_id, max_age) VALUES (1, 2, 86400), (2, 3, 0);
INSERT INTO enforcements (policy, group_id, rec_fail, max_age) VALUES (3, 3, 1, 3600);
INSERT INTO components (vendor_id, name, qualifier, label) VALUES (36906, 3, 33, 'B');
INSERT INTO component_hashes (component, key, seq_no, pcr, algo, hash) VALUES (1, 1, 1, 0, 16384, x'${SAMPLE.sha256}');
INSERT INTO sessions (time, connection, device, product, rec) VALUES (1400000100, 1, 1, 1, 0);
INSERT INTO results (session, policy, rec, result) VALUES (1, 1, 0, 'all packages up to date');
INSERT INTO swid_tags (package_name, version_str, unique_id, swid_xml, software_id)
  VALUES ('openssl', '1.0.1e', 'debian7-openssl', '<SoftwareIdentity/>', 'regid.1995-04.org.debian__debian7-openssl');
`);
  db.close();
}

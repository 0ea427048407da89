/*
 * portal_db.c — migrations of the internet zone's tenant database.
 */
#include "mail_outbox.h"
#include "portal_db.h"
#include "session.h"
#include "throttle.h"

const struct db_migration portal_db_migrations[] = {
	{ 1,
	  /* meta: facts about the tenant itself (its name, when it was provisioned). */
	  "CREATE TABLE meta ("
	  "  key   TEXT PRIMARY KEY,"
	  "  value TEXT NOT NULL"
	  ") STRICT;" },
	{ 2,
	  /* The catalogue as the downlink delivered it: every version ever published
	   * (an application names the version it was made with), and the current one
	   * per procedure with the columns the list and search need. */
	  "CREATE TABLE procedure_versions ("
	  "  id          TEXT NOT NULL,"
	  "  version     INTEGER NOT NULL,"
	  "  definition  TEXT NOT NULL,"
	  "  received_at INTEGER NOT NULL,"
	  "  PRIMARY KEY (id, version)"
	  ") STRICT;"
	  "CREATE TABLE procedures ("
	  "  id          TEXT PRIMARY KEY,"
	  "  version     INTEGER NOT NULL,"
	  "  title       TEXT NOT NULL,"
	  "  search_text TEXT NOT NULL,"
	  "  category    TEXT NOT NULL,"
	  "  life_events TEXT NOT NULL,"
	  "  visibility  TEXT NOT NULL,"
	  "  opens_at    INTEGER,"
	  "  closes_at   INTEGER,"
	  "  sort_order  INTEGER NOT NULL DEFAULT 0,"
	  "  withdrawn   INTEGER NOT NULL DEFAULT 0,"
	  "  FOREIGN KEY (id, version) REFERENCES procedure_versions (id, version)"
	  ") STRICT;"
	  /* Downlink bundles already applied: the spool is idempotent by id, and so is
	   * applying, should a bundle be handed out twice after a crash. */
	  "CREATE TABLE downlink_applied ("
	  "  bundle_id  TEXT PRIMARY KEY,"
	  "  kind       TEXT NOT NULL,"
	  "  applied_at INTEGER NOT NULL"
	  ") STRICT;"
	  /* Uploads handed to the sanitizer; the verdict is copied here once final. */
	  "CREATE TABLE uploads ("
	  "  id           TEXT PRIMARY KEY,"
	  "  procedure_id TEXT,"
	  "  field        TEXT,"
	  "  display_name TEXT NOT NULL,"
	  "  size         INTEGER NOT NULL,"
	  "  sha256       TEXT NOT NULL,"
	  "  state        TEXT NOT NULL DEFAULT 'pending'"
	  "               CHECK (state IN ('pending', 'clean', 'rejected')),"
	  "  type         TEXT,"
	  "  pages        INTEGER,"
	  "  reason       TEXT,"
	  "  message      TEXT,"
	  "  created_at   INTEGER NOT NULL"
	  ") STRICT;"
	  /* Applications (申請). forward_state tracks the way to LGWAN: pending until the
	   * sanitizer has signed its bundle into the outbox. */
	  "CREATE TABLE applications ("
	  "  receipt_no        TEXT PRIMARY KEY,"
	  "  procedure_id      TEXT NOT NULL,"
	  "  procedure_version INTEGER NOT NULL,"
	  "  answers           TEXT NOT NULL,"
	  "  files             TEXT NOT NULL,"
	  "  status            TEXT NOT NULL,"
	  "  password_hash     TEXT,"
	  "  applicant_key     TEXT,"
	  "  submitted_at      INTEGER NOT NULL,"
	  "  forward_state     TEXT NOT NULL DEFAULT 'pending'"
	  "                    CHECK (forward_state IN ('pending', 'forwarded', 'failed')),"
	  "  forward_attempts  INTEGER NOT NULL DEFAULT 0,"
	  "  forward_next_at   INTEGER NOT NULL DEFAULT 0,"
	  "  forward_error     TEXT,"
	  "  FOREIGN KEY (procedure_id, procedure_version)"
	  "    REFERENCES procedure_versions (id, version)"
	  ") STRICT;"
	  "CREATE INDEX applications_forward ON applications (forward_state, forward_next_at);"
	  "CREATE INDEX applications_applicant ON applications (procedure_id, applicant_key);"
	  "CREATE TABLE application_events ("
	  "  id         INTEGER PRIMARY KEY,"
	  "  receipt_no TEXT NOT NULL REFERENCES applications (receipt_no),"
	  "  status     TEXT NOT NULL,"
	  "  message    TEXT,"
	  "  at         INTEGER NOT NULL,"
	  "  source     TEXT NOT NULL"
	  ") STRICT;"
	  "CREATE INDEX application_events_receipt ON application_events (receipt_no, id);"
	  /* Idempotency-Key of each submission, with a hash of the request it came with:
	   * the same key with the same request is a retry, with another a client bug. */
	  "CREATE TABLE idempotency ("
	  "  key            TEXT PRIMARY KEY,"
	  "  request_sha256 TEXT NOT NULL,"
	  "  receipt_no     TEXT NOT NULL,"
	  "  created_at     INTEGER NOT NULL"
	  ") STRICT;"
	  /* 到達番号 are numbered per Japan-time day. */
	  "CREATE TABLE receipt_seq ("
	  "  day TEXT PRIMARY KEY,"
	  "  n   INTEGER NOT NULL"
	  ") STRICT;"
	  /* 到達制限: how many applications chose each quota-bearing option. */
	  "CREATE TABLE quota_counts ("
	  "  procedure_id TEXT NOT NULL,"
	  "  field        TEXT NOT NULL,"
	  "  value        TEXT NOT NULL,"
	  "  n            INTEGER NOT NULL,"
	  "  PRIMARY KEY (procedure_id, field, value)"
	  ") STRICT;" },
	{ 3,
	  /* Email to applicants, enqueued in the transaction of the event it tells of
	   * (lib/mail_outbox.h: its DDL is frozen there as this migration). */
	  MAIL_OUTBOX_SQL },
	{ 4,
	  /* The office's signature of each definition (lib/procsig.h), handed to the
	   * sanitizer with every application made with it. */
	  "ALTER TABLE procedure_versions ADD COLUMN signature TEXT;" },
	{ 5,
	  /* Citizen accounts (accounts.h). The id is AUTOINCREMENT: an application keeps
	   * "account:<id>" as its applicant key after its account is deleted, and no later
	   * account may inherit it. profile is the JSON the forms are pre-filled from. */
	  "CREATE TABLE accounts ("
	  "  id            INTEGER PRIMARY KEY AUTOINCREMENT,"
	  "  email         TEXT NOT NULL UNIQUE,"
	  "  password_hash TEXT NOT NULL,"
	  "  verified_at   INTEGER,"
	  "  profile       TEXT NOT NULL DEFAULT '{}',"
	  "  created_at    INTEGER NOT NULL,"
	  "  password_changed_at INTEGER NOT NULL"
	  ") STRICT;"
	  /* Mailed single-use tokens, by SHA-256 (tokens.h): verify (a new account's
	   * address), email (a changed address, new_email), reset (a forgotten password). */
	  "CREATE TABLE account_tokens ("
	  "  token_hash TEXT PRIMARY KEY,"
	  "  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,"
	  "  purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'email', 'reset')),"
	  "  new_email  TEXT,"
	  "  created_at INTEGER NOT NULL,"
	  "  expires_at INTEGER NOT NULL"
	  ") STRICT;"
	  "CREATE INDEX account_tokens_account ON account_tokens (account_id, purpose);"
	  "CREATE INDEX account_tokens_expiry ON account_tokens (expires_at);"
	  /* 一時保存: an account's (one per procedure) or a resume link's (token_hash,
	   * the link's token hashed; NULL once the link was opened). */
	  "CREATE TABLE drafts ("
	  "  id           TEXT PRIMARY KEY,"
	  "  account_id   INTEGER REFERENCES accounts (id) ON DELETE CASCADE,"
	  "  token_hash   TEXT UNIQUE,"
	  "  procedure_id TEXT NOT NULL,"
	  "  version      INTEGER NOT NULL,"
	  "  answers      TEXT NOT NULL,"
	  "  created_at   INTEGER NOT NULL,"
	  "  updated_at   INTEGER NOT NULL,"
	  "  expires_at   INTEGER NOT NULL"
	  ") STRICT;"
	  "CREATE UNIQUE INDEX drafts_account ON drafts (account_id, procedure_id)"
	  "  WHERE account_id IS NOT NULL;"
	  "CREATE INDEX drafts_expiry ON drafts (expires_at);"
	  /* Whose application it is (NULL: made without an account, or the account was
	   * deleted), and the representative of a proxy application (proxyrep.h). */
	  "ALTER TABLE applications ADD COLUMN account_id INTEGER;"
	  "ALTER TABLE applications ADD COLUMN proxy TEXT;"
	  "CREATE INDEX applications_account ON applications (account_id, submitted_at)"
	  "  WHERE account_id IS NOT NULL;"
	  SESSION_SQL
	  THROTTLE_SQL },
	{ 6,
	  /* The correspondence (replies.h): an event is a status change ('status'), a
	   * message from the office without one ('message'), or the applicant's reply
	   * ('reply'); reply_invited marks what the applicant may answer. */
	  "ALTER TABLE application_events ADD COLUMN kind TEXT NOT NULL DEFAULT 'status'"
	  " CHECK (kind IN ('status', 'message', 'reply'));"
	  "ALTER TABLE application_events ADD COLUMN reply_invited INTEGER NOT NULL DEFAULT 0;"
	  /* Correction requests applied before this version invite a reply too. */
	  "UPDATE application_events SET reply_invited = 1 WHERE source = 'office'"
	  " AND status = 'correction';"
	  /* Replies on their way to LGWAN, forwarded like applications (forwarder.h);
	   * files is [{"upload", "display_name"}] of clean uploads. */
	  "CREATE TABLE replies ("
	  "  id               INTEGER PRIMARY KEY,"
	  "  receipt_no       TEXT NOT NULL REFERENCES applications (receipt_no),"
	  "  reply_no         INTEGER NOT NULL,"
	  "  body             TEXT NOT NULL,"
	  "  files            TEXT NOT NULL,"
	  "  idem_key         TEXT NOT NULL UNIQUE,"
	  "  request_sha256   TEXT NOT NULL,"
	  "  submitted_at     INTEGER NOT NULL,"
	  "  forward_state    TEXT NOT NULL DEFAULT 'pending'"
	  "                   CHECK (forward_state IN ('pending', 'forwarded', 'failed')),"
	  "  forward_attempts INTEGER NOT NULL DEFAULT 0,"
	  "  forward_next_at  INTEGER NOT NULL DEFAULT 0,"
	  "  forward_error    TEXT,"
	  "  UNIQUE (receipt_no, reply_no)"
	  ") STRICT;"
	  "CREATE INDEX replies_forward ON replies (forward_state, forward_next_at);" },
	{ 7,
	  /* Issued documents (交付文書) as the downlink delivered them (documents.h): the
	   * signed PDF is the file at path, of this size and SHA-256, written before the
	   * row. bundle_id is the idempotency key; n numbers an application's documents
	   * as officed did. */
	  "CREATE TABLE documents ("
	  "  id          INTEGER PRIMARY KEY,"
	  "  bundle_id   TEXT NOT NULL UNIQUE,"
	  "  receipt_no  TEXT NOT NULL REFERENCES applications (receipt_no),"
	  "  n           INTEGER NOT NULL,"
	  "  title       TEXT NOT NULL,"
	  "  file_name   TEXT NOT NULL,"
	  "  size        INTEGER NOT NULL,"
	  "  sha256      TEXT NOT NULL,"
	  "  issued_at   INTEGER NOT NULL,"
	  "  path        TEXT NOT NULL,"
	  "  UNIQUE (receipt_no, n)"
	  ") STRICT;" },
	{ 8,
	  /* A procedure's files (procfile.h: forms to download, images on its page) as
	   * catalogue bundles delivered them, by SHA-256: a file two procedures or two
	   * versions share is stored once, and a definition names it by its hash. */
	  "CREATE TABLE procedure_files ("
	  "  sha256 TEXT PRIMARY KEY,"
	  "  size   INTEGER NOT NULL,"
	  "  data   BLOB NOT NULL"
	  ") STRICT;" },
	{ 9,
	  /* An allowed zip's members as the sanitizer judged them (uploads.c): a JSON
	   * list of {name, status, type, pages, reason, message}, shown to the citizen
	   * and checked against the field's accepted types; NULL for any other file. */
	  "ALTER TABLE uploads ADD COLUMN members TEXT;" },
};

const size_t portal_db_nmigrations =
	sizeof portal_db_migrations / sizeof portal_db_migrations[0];

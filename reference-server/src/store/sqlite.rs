//! The SQLite store: one file `oauthspec.sqlite` in the data directory, WAL
//! journal, `synchronous = NORMAL` (a committed transaction survives a
//! process crash or `kill -9`; only a power loss may drop the last ones).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, RwLock};

use rusqlite::{Connection, OptionalExtension, params};

use super::*;
use crate::keys::SigningAlg;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS clients (id TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS keys (
    kid TEXT PRIMARY KEY, alg TEXT NOT NULL, pkcs8 BLOB NOT NULL,
    created_at INTEGER NOT NULL, publish_until INTEGER);
CREATE TABLE IF NOT EXISTS codes (
    hash TEXT PRIMARY KEY, json TEXT NOT NULL, used INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS grants (id TEXT PRIMARY KEY, json TEXT NOT NULL, revoked INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS access_tokens (jti TEXT PRIMARY KEY, grant_id TEXT NOT NULL, exp INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS access_tokens_grant ON access_tokens (grant_id);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL, state TEXT NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS refresh_tokens_grant ON refresh_tokens (grant_id);
CREATE TABLE IF NOT EXISTS denied_jtis (jti TEXT PRIMARY KEY, exp INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, sub TEXT NOT NULL, text TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS notes_sub ON notes (sub);
";

/// SQLite in WAL mode. Clients are cached in memory (write-through), since
/// the token endpoint reads one on every request.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    clients: RwLock<HashMap<String, ClientRecord>>,
}

fn to_json<T: Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: for<'de> Deserialize<'de>>(s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl SqliteStore {
    /// Opens (creating if needed) `dir/oauthspec.sqlite`.
    pub fn open(dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
            path: dir.display().to_string(),
            source,
        })?;
        let conn = Connection::open(dir.join("oauthspec.sqlite"))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn: Mutex::new(conn),
            clients: RwLock::new(HashMap::new()),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // rusqlite rolls back an unfinished transaction on drop, so a
        // poisoned lock still guards a consistent database.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The journal mode in force (`wal` once opened).
    pub fn journal_mode(&self) -> StoreResult<String> {
        Ok(self
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))?)
    }
}

impl Store for SqliteStore {
    fn put_client(&self, client: &ClientRecord) -> StoreResult<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO clients (id, json) VALUES (?1, ?2)",
            params![client.client_id.0, to_json(client)?],
        )?;
        self.clients
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(client.client_id.0.clone(), client.clone());
        Ok(())
    }

    fn client(&self, id: &str) -> StoreResult<Option<ClientRecord>> {
        if let Some(c) = self
            .clients
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
        {
            return Ok(Some(c.clone()));
        }
        let json: Option<String> = self
            .conn()
            .prepare_cached("SELECT json FROM clients WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        let Some(json) = json else { return Ok(None) };
        let client: ClientRecord = from_json(&json)?;
        self.clients
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string(), client.clone());
        Ok(Some(client))
    }

    fn delete_client(&self, id: &str) -> StoreResult<bool> {
        let n = self
            .conn()
            .execute("DELETE FROM clients WHERE id = ?1", [id])?;
        self.clients
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        Ok(n > 0)
    }

    fn put_key(&self, key: &KeyRecord) -> StoreResult<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO keys (kid, alg, pkcs8, created_at, publish_until) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![key.kid, key.alg.as_str(), key.pkcs8, key.created_at, key.publish_until],
        )?;
        Ok(())
    }

    fn keys(&self) -> StoreResult<Vec<KeyRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT kid, alg, pkcs8, created_at, publish_until FROM keys ORDER BY created_at",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<i64>>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (kid, alg, pkcs8, created_at, publish_until) = row?;
            let alg = SigningAlg::parse(&alg)
                .ok_or_else(|| StoreError::Corrupt(format!("key alg {alg:?}")))?;
            out.push(KeyRecord {
                kid,
                alg,
                pkcs8,
                created_at,
                publish_until,
            });
        }
        Ok(out)
    }

    fn put_code(&self, code: &CodeRecord) -> StoreResult<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO codes (hash, json, used, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![
                code.hash.to_hex(),
                to_json(code)?,
                code.used,
                code.expires_at
            ],
        )?;
        Ok(())
    }

    fn code(&self, hash: &SecretHash) -> StoreResult<Option<CodeRecord>> {
        let row: Option<(String, bool)> = self
            .conn()
            .prepare_cached("SELECT json, used FROM codes WHERE hash = ?1")?
            .query_row([hash.to_hex()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(json, used)| {
            let mut c: CodeRecord = from_json(&json)?;
            c.used = used;
            Ok(c)
        })
        .transpose()
    }

    fn consume_code(&self, hash: &SecretHash) -> StoreResult<bool> {
        let n = self
            .conn()
            .prepare_cached("UPDATE codes SET used = 1 WHERE hash = ?1 AND used = 0")?
            .execute([hash.to_hex()])?;
        Ok(n == 1)
    }

    fn put_grant(&self, grant: &GrantRecord) -> StoreResult<()> {
        self.conn()
            .prepare_cached(
                "INSERT OR REPLACE INTO grants (id, json, revoked) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![grant.grant_id, to_json(grant)?, grant.revoked])?;
        Ok(())
    }

    fn grant(&self, id: &str) -> StoreResult<Option<GrantRecord>> {
        let row: Option<(String, bool)> = self
            .conn()
            .prepare_cached("SELECT json, revoked FROM grants WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(json, revoked)| {
            let mut g: GrantRecord = from_json(&json)?;
            g.revoked = revoked;
            Ok(g)
        })
        .transpose()
    }

    fn revoke_grant(&self, id: &str) -> StoreResult<Vec<(String, UnixTime)>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("UPDATE grants SET revoked = 1 WHERE id = ?1", [id])?;
        tx.execute(
            "UPDATE refresh_tokens SET state = 'revoked' WHERE grant_id = ?1",
            [id],
        )?;
        let access: Vec<(String, i64)> = {
            let mut stmt = tx.prepare("SELECT jti, exp FROM access_tokens WHERE grant_id = ?1")?;
            stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        for (jti, exp) in &access {
            tx.execute(
                "INSERT OR REPLACE INTO denied_jtis (jti, exp) VALUES (?1, ?2)",
                params![jti, exp],
            )?;
        }
        tx.commit()?;
        Ok(access)
    }

    fn record_access_token(&self, jti: &str, grant_id: &str, exp: UnixTime) -> StoreResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.prepare_cached(
            "INSERT OR REPLACE INTO access_tokens (jti, grant_id, exp) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![jti, grant_id, exp])?;
        let revoked: Option<bool> = tx
            .prepare_cached("SELECT revoked FROM grants WHERE id = ?1")?
            .query_row([grant_id], |r| r.get(0))
            .optional()?;
        tx.commit()?;
        Ok(!revoked.unwrap_or(false))
    }

    fn put_refresh(&self, token: &RefreshRecord) -> StoreResult<()> {
        self.conn()
            .prepare_cached(
                "INSERT OR REPLACE INTO refresh_tokens (hash, grant_id, state, json) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                token.hash.to_hex(),
                token.grant_id,
                token.state.as_str(),
                to_json(token)?
            ])?;
        Ok(())
    }

    fn refresh(&self, hash: &SecretHash) -> StoreResult<Option<RefreshRecord>> {
        let row: Option<(String, String)> = self
            .conn()
            .prepare_cached("SELECT json, state FROM refresh_tokens WHERE hash = ?1")?
            .query_row([hash.to_hex()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(json, state)| {
            let mut t: RefreshRecord = from_json(&json)?;
            t.state = RefreshState::parse(&state)?;
            Ok(t)
        })
        .transpose()
    }

    fn rotate_refresh(&self, old: &SecretHash, new: &RefreshRecord) -> StoreResult<Rotation> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let row: Option<(String, String)> = tx
            .prepare_cached("SELECT state, grant_id FROM refresh_tokens WHERE hash = ?1")?
            .query_row([old.to_hex()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((state, grant_id)) = row else {
            return Ok(Rotation::Unknown);
        };
        let state = RefreshState::parse(&state)?;
        if state != RefreshState::Active {
            return Ok(Rotation::NotActive(state));
        }
        let grant_revoked: bool = tx
            .prepare_cached("SELECT revoked FROM grants WHERE id = ?1")?
            .query_row([&grant_id], |r| r.get(0))
            .optional()?
            .unwrap_or(false);
        if grant_revoked {
            return Ok(Rotation::NotActive(RefreshState::Revoked));
        }
        tx.prepare_cached("UPDATE refresh_tokens SET state = 'rotated' WHERE hash = ?1")?
            .execute([old.to_hex()])?;
        tx.prepare_cached(
            "INSERT OR REPLACE INTO refresh_tokens (hash, grant_id, state, json) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![new.hash.to_hex(), new.grant_id, new.state.as_str(), to_json(new)?])?;
        tx.commit()?;
        Ok(Rotation::Rotated)
    }

    fn revoke_jti(&self, jti: &str, exp: UnixTime) -> StoreResult<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO denied_jtis (jti, exp) VALUES (?1, ?2)",
            params![jti, exp],
        )?;
        Ok(())
    }

    fn revoked_jtis(&self, now: UnixTime) -> StoreResult<Vec<(String, UnixTime)>> {
        let conn = self.conn();
        conn.execute("DELETE FROM denied_jtis WHERE exp <= ?1", [now])?;
        let mut stmt = conn.prepare("SELECT jti, exp FROM denied_jtis")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn add_note(&self, sub: &str, text: &str, now: UnixTime) -> StoreResult<Note> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO notes (sub, text, created_at) VALUES (?1, ?2, ?3)",
            params![sub, text, now],
        )?;
        Ok(Note {
            id: conn.last_insert_rowid(),
            text: text.to_string(),
            created_at: now,
        })
    }

    fn notes(&self, sub: &str) -> StoreResult<Vec<Note>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT id, text, created_at FROM notes WHERE sub = ?1 ORDER BY id")?;
        let rows = stmt.query_map([sub], |r| {
            Ok(Note {
                id: r.get(0)?,
                text: r.get(1)?,
                created_at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_store_meets_the_contract_and_uses_wal() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(store.journal_mode().unwrap(), "wal");
        super::super::contract::run(&store);
    }

    #[test]
    fn data_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = SqliteStore::open(dir.path()).unwrap();
            store
                .put_client(&super::super::contract::client("kept"))
                .unwrap();
        }
        let store = SqliteStore::open(dir.path()).unwrap();
        assert!(store.client("kept").unwrap().is_some());
    }
}

//! API3 credentials (client id + hashed secret) and access tokens (hashed).

use crate::db::{on_pool, Columns};
use crate::{now_text, random_hex, sha256_hex, Store, StoreError};

/// One API3 credential as listed: its secret is never kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Api3Credential {
    pub id: i64,
    pub client_id: String,
    pub created_at: String,
}

/// Credentials made by [`Store::ensure_admin`]; the secret exists only here, never stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminCredentials {
    pub client_id: String,
    pub client_secret: String,
    /// True when generated now (and so to be shown once); false when they came from the caller.
    pub generated: bool,
}

impl Store {
    /// Makes sure an admin user exists with API3 credentials. With `wanted` credentials they are
    /// added if missing (and their secret updated if different); without, credentials are
    /// generated only when the admin has none, and returned so they can be shown once.
    pub async fn ensure_admin(&self, wanted: Option<(String, String)>) -> Result<Option<AdminCredentials>, StoreError> {
        let admin: Option<i64> =
            on_pool!(self, "SELECT id FROM users WHERE deleted_at IS NULL ORDER BY id LIMIT 1", |p, sql| sqlx::query_scalar(sql)
                .fetch_optional(p)
                .await?);
        let admin = match admin {
            Some(id) => id,
            None => self.create_user("Admin", "User", None).await?,
        };
        // The first user holds the Admin role unless someone else is an admin already.
        if self.admin_user_ids().await?.is_empty() {
            let select = "SELECT r.id FROM roles r JOIN permission_sets p ON p.id = r.permission_set_id \
                          WHERE p.all_access = ? AND p.built_in = ? ORDER BY r.id LIMIT 1";
            let role: i64 = on_pool!(self, select, |p, sql| sqlx::query_scalar(sql).bind(true).bind(true).fetch_one(p).await?);
            let mut roles: Vec<i64> = self.user_roles(admin, crate::Holding::Direct).await?.iter().map(|r| r.id).collect();
            roles.push(role);
            self.set_user_roles(admin, &roles).await?;
        }
        match wanted {
            Some((client_id, secret)) => {
                let salt = random_hex(16);
                let hash = sha256_hex(&[salt.as_bytes(), secret.as_bytes()]);
                let upsert = "INSERT INTO api3_credentials (user_id, client_id, secret_hash, salt, created_at) VALUES (?, ?, ?, ?, ?) \
                              ON CONFLICT(client_id) DO UPDATE SET secret_hash = excluded.secret_hash, salt = excluded.salt";
                on_pool!(self, upsert, |p, sql| sqlx::query(sql)
                    .bind(admin)
                    .bind(&client_id)
                    .bind(&hash)
                    .bind(&salt)
                    .bind(now_text())
                    .execute(p)
                    .await?
                    .rows_affected());
                Ok(Some(AdminCredentials { client_id, client_secret: secret, generated: false }))
            }
            None => {
                let existing: i64 = on_pool!(self, "SELECT COUNT(*) FROM api3_credentials WHERE user_id = ?", |p, sql| {
                    sqlx::query_scalar(sql).bind(admin).fetch_one(p).await?
                });
                if existing > 0 {
                    return Ok(None);
                }
                let creds = AdminCredentials { client_id: random_hex(10), client_secret: random_hex(24), generated: true };
                let salt = random_hex(16);
                let hash = sha256_hex(&[salt.as_bytes(), creds.client_secret.as_bytes()]);
                let insert = "INSERT INTO api3_credentials (user_id, client_id, secret_hash, salt, created_at) VALUES (?, ?, ?, ?, ?)";
                on_pool!(self, insert, |p, sql| sqlx::query(sql)
                    .bind(admin)
                    .bind(&creds.client_id)
                    .bind(&hash)
                    .bind(&salt)
                    .bind(now_text())
                    .execute(p)
                    .await?
                    .rows_affected());
                Ok(Some(creds))
            }
        }
    }

    /// The user whose API3 credentials these are, if they match and the user is enabled.
    pub async fn verify_api3(&self, client_id: &str, client_secret: &str) -> Result<Option<i64>, StoreError> {
        let select = "SELECT c.user_id, c.secret_hash, c.salt, u.is_disabled FROM api3_credentials c JOIN users u ON u.id = c.user_id \
                      WHERE c.client_id = ?";
        let read = |row: &dyn Columns| -> Result<_, StoreError> {
            Ok((row.int("user_id")?, row.text("secret_hash")?, row.text("salt")?, row.flag("is_disabled")?))
        };
        let row =
            on_pool!(self, select, |p, sql| sqlx::query(sql).bind(client_id).fetch_optional(p).await?.map(|r| read(&r)).transpose()?);
        let Some((user_id, hash, salt, disabled)) = row else { return Ok(None) };
        let candidate = sha256_hex(&[salt.as_bytes(), client_secret.as_bytes()]);
        // Both are fixed-length hex digests; compare without an early exit.
        let same = hash.len() == candidate.len() && hash.bytes().zip(candidate.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        Ok((same && !disabled).then_some(user_id))
    }

    /// A user's API3 credentials (never their secrets), oldest first.
    pub async fn api3_credentials(&self, user_id: i64) -> Result<Vec<Api3Credential>, StoreError> {
        let select = "SELECT id, client_id, created_at FROM api3_credentials WHERE user_id = ? ORDER BY id";
        let read = |r: &dyn Columns| -> Result<Api3Credential, StoreError> {
            Ok(Api3Credential { id: r.int("id")?, client_id: r.text("client_id")?, created_at: r.text("created_at")? })
        };
        Ok(on_pool!(self, select, |p, sql| sqlx::query(sql)
            .bind(user_id)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| read(r))
            .collect::<Result<Vec<_>, _>>()?))
    }

    /// New API3 credentials for `user_id`: the credential and its secret, shown only now.
    pub async fn create_api3_credentials(&self, user_id: i64) -> Result<(Api3Credential, String), StoreError> {
        let (client_id, secret, salt) = (random_hex(10), random_hex(24), random_hex(16));
        let hash = sha256_hex(&[salt.as_bytes(), secret.as_bytes()]);
        let created_at = now_text();
        let insert = "INSERT INTO api3_credentials (user_id, client_id, secret_hash, salt, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id";
        let id: i64 = on_pool!(self, insert, |p, sql| sqlx::query_scalar(sql)
            .bind(user_id)
            .bind(&client_id)
            .bind(&hash)
            .bind(&salt)
            .bind(&created_at)
            .fetch_one(p)
            .await?);
        Ok((Api3Credential { id, client_id, created_at }, secret))
    }

    /// Removes one of a user's API3 credentials; false if they have no such credential.
    pub async fn delete_api3_credential(&self, user_id: i64, id: i64) -> Result<bool, StoreError> {
        let deleted = on_pool!(self, "DELETE FROM api3_credentials WHERE user_id = ? AND id = ?", |p, sql| {
            sqlx::query(sql).bind(user_id).bind(id).execute(p).await?.rows_affected()
        });
        Ok(deleted > 0)
    }

    /// A new access token for `user_id`, valid `ttl_seconds`.
    pub async fn create_token(&self, user_id: i64, ttl_seconds: i64) -> Result<String, StoreError> {
        let token = random_hex(20);
        let expires = jiff::Timestamp::now().as_second() + ttl_seconds;
        on_pool!(self, "DELETE FROM access_tokens WHERE expires_at < ?", |p, sql| sqlx::query(sql)
            .bind(jiff::Timestamp::now().as_second())
            .execute(p)
            .await?
            .rows_affected());
        let hash = sha256_hex(&[token.as_bytes()]);
        on_pool!(self, "INSERT INTO access_tokens (token_hash, user_id, expires_at) VALUES (?, ?, ?)", |p, sql| sqlx::query(sql)
            .bind(&hash)
            .bind(user_id)
            .bind(expires)
            .execute(p)
            .await?
            .rows_affected());
        Ok(token)
    }

    /// The enabled user a live token belongs to.
    pub async fn user_for_token(&self, token: &str) -> Result<Option<i64>, StoreError> {
        let hash = sha256_hex(&[token.as_bytes()]);
        let select = "SELECT t.user_id FROM access_tokens t JOIN users u ON u.id = t.user_id \
                      WHERE t.token_hash = ? AND t.expires_at >= ? AND u.is_disabled = ?";
        Ok(on_pool!(self, select, |p, sql| {
            sqlx::query_scalar(sql).bind(&hash).bind(jiff::Timestamp::now().as_second()).bind(false).fetch_optional(p).await?
        }))
    }

    /// Revokes a token; false if it was not live.
    pub async fn delete_token(&self, token: &str) -> Result<bool, StoreError> {
        let hash = sha256_hex(&[token.as_bytes()]);
        let deleted = on_pool!(self, "DELETE FROM access_tokens WHERE token_hash = ?", |p, sql| {
            sqlx::query(sql).bind(&hash).execute(p).await?.rows_affected()
        });
        Ok(deleted > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn generated_admin_credentials_log_in_once_made(store: Store) {
        let creds = store.ensure_admin(None).await.unwrap().unwrap();
        assert!(creds.generated);
        assert!(store.ensure_admin(None).await.unwrap().is_none(), "generated only once");
        let user = store.verify_api3(&creds.client_id, &creds.client_secret).await.unwrap().unwrap();
        assert_eq!(store.verify_api3(&creds.client_id, "wrong").await.unwrap(), None);
        assert_eq!(store.verify_api3("nobody", &creds.client_secret).await.unwrap(), None);
        let token = store.create_token(user, 3600).await.unwrap();
        assert_eq!(store.user_for_token(&token).await.unwrap(), Some(user));
        assert!(store.delete_token(&token).await.unwrap());
        assert_eq!(store.user_for_token(&token).await.unwrap(), None);
    }

    async fn configured_credentials_replace_the_secret(store: Store) {
        store.ensure_admin(Some(("id".into(), "one".into()))).await.unwrap();
        store.ensure_admin(Some(("id".into(), "two".into()))).await.unwrap();
        assert!(store.verify_api3("id", "one").await.unwrap().is_none());
        assert!(store.verify_api3("id", "two").await.unwrap().is_some());
    }

    async fn expired_tokens_are_refused(store: Store) {
        let creds = store.ensure_admin(None).await.unwrap().unwrap();
        let user = store.verify_api3(&creds.client_id, &creds.client_secret).await.unwrap().unwrap();
        let token = store.create_token(user, -1).await.unwrap();
        assert_eq!(store.user_for_token(&token).await.unwrap(), None);
    }

    crate::on_both_databases!(
        generated_admin_credentials_log_in_once_made,
        configured_credentials_replace_the_secret,
        expired_tokens_are_refused
    );
}

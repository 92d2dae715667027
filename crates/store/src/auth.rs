//! Users, API3 credentials (client id + hashed secret) and access tokens (hashed).

use sqlx::Row;

use crate::{now_text, random_hex, sha256_hex, Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub is_disabled: bool,
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
        let admin: Option<i64> = sqlx::query_scalar("SELECT id FROM users ORDER BY id LIMIT 1").fetch_optional(&self.pool).await?;
        let admin = match admin {
            Some(id) => id,
            None => self.create_user("Admin", "User", None).await?,
        };
        match wanted {
            Some((client_id, secret)) => {
                let salt = random_hex(16);
                let hash = sha256_hex(&[salt.as_bytes(), secret.as_bytes()]);
                sqlx::query(
                    "INSERT INTO api3_credentials (user_id, client_id, secret_hash, salt, created_at) VALUES (?, ?, ?, ?, ?)
                     ON CONFLICT(client_id) DO UPDATE SET secret_hash = excluded.secret_hash, salt = excluded.salt",
                )
                .bind(admin)
                .bind(&client_id)
                .bind(hash)
                .bind(salt)
                .bind(now_text())
                .execute(&self.pool)
                .await?;
                Ok(Some(AdminCredentials { client_id, client_secret: secret, generated: false }))
            }
            None => {
                let existing: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM api3_credentials WHERE user_id = ?").bind(admin).fetch_one(&self.pool).await?;
                if existing > 0 {
                    return Ok(None);
                }
                let creds = AdminCredentials { client_id: random_hex(10), client_secret: random_hex(24), generated: true };
                let salt = random_hex(16);
                sqlx::query("INSERT INTO api3_credentials (user_id, client_id, secret_hash, salt, created_at) VALUES (?, ?, ?, ?, ?)")
                    .bind(admin)
                    .bind(&creds.client_id)
                    .bind(sha256_hex(&[salt.as_bytes(), creds.client_secret.as_bytes()]))
                    .bind(salt)
                    .bind(now_text())
                    .execute(&self.pool)
                    .await?;
                Ok(Some(creds))
            }
        }
    }

    /// The user whose API3 credentials these are, if they match and the user is enabled.
    pub async fn verify_api3(&self, client_id: &str, client_secret: &str) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT c.user_id, c.secret_hash, c.salt, u.is_disabled FROM api3_credentials c JOIN users u ON u.id = c.user_id WHERE c.client_id = ?")
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let hash: String = row.get("secret_hash");
        let salt: String = row.get("salt");
        let disabled: bool = row.get::<i64, _>("is_disabled") != 0;
        let candidate = sha256_hex(&[salt.as_bytes(), client_secret.as_bytes()]);
        // Both are fixed-length hex digests; compare without an early exit.
        let same = hash.len() == candidate.len() && hash.bytes().zip(candidate.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        Ok((same && !disabled).then(|| row.get("user_id")))
    }

    /// A new access token for `user_id`, valid `ttl_seconds`.
    pub async fn create_token(&self, user_id: i64, ttl_seconds: i64) -> Result<String, StoreError> {
        let token = random_hex(20);
        let expires = jiff::Timestamp::now().as_second() + ttl_seconds;
        sqlx::query("DELETE FROM access_tokens WHERE expires_at < ?").bind(jiff::Timestamp::now().as_second()).execute(&self.pool).await?;
        sqlx::query("INSERT INTO access_tokens (token_hash, user_id, expires_at) VALUES (?, ?, ?)")
            .bind(sha256_hex(&[token.as_bytes()]))
            .bind(user_id)
            .bind(expires)
            .execute(&self.pool)
            .await?;
        Ok(token)
    }

    /// The user a live token belongs to.
    pub async fn user_for_token(&self, token: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT user_id FROM access_tokens WHERE token_hash = ? AND expires_at >= ?")
            .bind(sha256_hex(&[token.as_bytes()]))
            .bind(jiff::Timestamp::now().as_second())
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Revokes a token; false if it was not live.
    pub async fn delete_token(&self, token: &str) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM access_tokens WHERE token_hash = ?").bind(sha256_hex(&[token.as_bytes()])).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Adds a user (no credentials yet); its id.
    pub async fn create_user(&self, first_name: &str, last_name: &str, email: Option<&str>) -> Result<i64, StoreError> {
        // `RETURNING`, not SQLite's last row id: the same statement serves PostgreSQL.
        Ok(sqlx::query_scalar("INSERT INTO users (first_name, last_name, email, created_at) VALUES (?, ?, ?, ?) RETURNING id")
            .bind(first_name)
            .bind(last_name)
            .bind(email)
            .bind(now_text())
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT id, first_name, last_name, email, is_disabled FROM users WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| User {
            id: r.get("id"),
            first_name: r.get("first_name"),
            last_name: r.get("last_name"),
            email: r.get("email"),
            is_disabled: r.get::<i64, _>("is_disabled") != 0,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn generated_admin_credentials_log_in_once_made() {
        let store = Store::in_memory().await.unwrap();
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

    #[tokio::test]
    async fn configured_credentials_replace_the_secret() {
        let store = Store::in_memory().await.unwrap();
        store.ensure_admin(Some(("id".into(), "one".into()))).await.unwrap();
        store.ensure_admin(Some(("id".into(), "two".into()))).await.unwrap();
        assert!(store.verify_api3("id", "one").await.unwrap().is_none());
        assert!(store.verify_api3("id", "two").await.unwrap().is_some());
    }

    #[tokio::test]
    async fn expired_tokens_are_refused() {
        let store = Store::in_memory().await.unwrap();
        let creds = store.ensure_admin(None).await.unwrap().unwrap();
        let user = store.verify_api3(&creds.client_id, &creds.client_secret).await.unwrap().unwrap();
        let token = store.create_token(user, -1).await.unwrap();
        assert_eq!(store.user_for_token(&token).await.unwrap(), None);
    }
}

//! JSON request bodies parsed by us, so a malformed body gets Looker's error shape and names
//! what is wrong.

use axum::body::Bytes;
use serde::de::DeserializeOwned;

use crate::ApiError;

pub fn parse_json<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("The request body is empty; expected a JSON object."));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        if e.is_data() {
            ApiError::validation("body", "invalid", format!("The request body does not match the expected shape: {e}"))
        } else {
            ApiError::bad_request(format!("The request body is not valid JSON: {e}"))
        }
    })
}

//! A result payload as an HTTP body: bytes in memory as they are (no copy), a file streamed in
//! 256 KiB reads — a large result leaves the server without being read whole.

use axum::body::{Body, Bytes};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use store::Payload;
use tokio::io::AsyncReadExt;

const READ: usize = 256 << 10;

/// The response carrying `payload` as `content_type`.
pub fn payload_response(content_type: &str, payload: Payload) -> Response {
    let length = payload.len().to_string();
    let body = match payload {
        Payload::Bytes(bytes) => Body::from(Bytes::from_owner(bytes)),
        Payload::File(_) => {
            // The file is opened on the first read; the payload rides along, so a spooled file
            // outlives the response that streams it.
            enum Reading {
                Start(Payload),
                Open(tokio::fs::File, Payload),
                Done,
            }
            let chunks = futures_util::stream::unfold(Reading::Start(payload), |state| async move {
                let (mut file, payload) = match state {
                    Reading::Done => return None,
                    Reading::Open(file, payload) => (file, payload),
                    Reading::Start(payload) => match tokio::fs::File::open(payload.file()?).await {
                        Ok(file) => (file, payload),
                        Err(e) => return Some((Err(e), Reading::Done)),
                    },
                };
                let mut buffer = vec![0; READ];
                match file.read(&mut buffer).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buffer.truncate(n);
                        Some((Ok(Bytes::from(buffer)), Reading::Open(file, payload)))
                    }
                    Err(e) => Some((Err(e), Reading::Done)),
                }
            });
            Body::from_stream(chunks)
        }
    };
    ([(CONTENT_TYPE, content_type.to_string()), (CONTENT_LENGTH, length)], body).into_response()
}
